using Microsoft.EntityFrameworkCore;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Tests.Shared;

/// <summary>One of every stored entity, linked as the pipeline links them; used to prove round trips on each database.</summary>
public sealed class SampleGraph
{
    public required Batch Batch { get; init; }
    public required Problem Problem { get; init; }
    public required Run Run { get; init; }
    public required RunRound Round { get; init; }
    public required Candidate Candidate { get; init; }
    public required ComputeUsageRecord Usage { get; init; }
    public required Sweep Sweep { get; init; }
    public required Policy Policy { get; init; }

    public static SampleGraph Create()
    {
        var at = new DateTimeOffset(2026, 11, 22, 10, 30, 15, 123, TimeSpan.Zero);
        var batch = new Batch
        {
            Id = Guid.NewGuid(), Name = "round-trip", Source = "tests", Status = BatchStatus.Accepted, RequestedStrategy = "best-of-n",
            SettingsJson = """{"n":16}""", ProblemCount = 1, TokenBudget = 123_456_789_012, SubmittedAt = at,
        };
        var problem = new Problem
        {
            Id = Guid.NewGuid(), BatchId = batch.Id, Index = 0, Text = "Q: (37+48)*3-19", ReferenceAnswer = "236", Level = "3",
            Subject = "arithmetic", ExternalId = "line-1",
        };
        var run = new Run
        {
            Id = Guid.NewGuid(), BatchId = batch.Id, ProblemId = problem.Id, PlanKey = "main", Strategy = "best-of-n", N = 16,
            PlanJson = """{"strategy":"best-of-n"}""", DifficultyBin = 4, DifficultyScore = 0.625, DifficultySource = "heuristic",
            Status = RunStatus.Completed, CurrentRound = 1, Answer = "236", Correct = true, CreatedAt = at, UpdatedAt = at.AddSeconds(2),
            CompletedAt = at.AddSeconds(3),
        };
        var round = new RunRound
        {
            Id = Guid.NewGuid(), RunId = run.Id, Index = 0, Kind = "generate", RequestId = Guid.NewGuid(), Status = RoundStatus.Done,
            StateJson = """{"frontier":[]}""", CreatedAt = at, CompletedAt = at.AddMilliseconds(850),
        };
        var candidate = new Candidate
        {
            Id = Guid.NewGuid(), RunId = run.Id, Key = "r0/s0", Round = 0, Text = "37+48=85\n85*3=255\n255-19=236\nA: 236",
            StepCount = 4, TokenCount = 33, FinishReason = "eos", ExtractedAnswer = "236", Score = 0.91, Selected = true,
            StepScores =
            [
                new StepScore { Id = Guid.NewGuid(), StepIndex = 0, Score = 0.97, Model = "prm" },
                new StepScore { Id = Guid.NewGuid(), StepIndex = 1, Score = 0.93, Model = "prm" },
            ],
        };
        var usage = new ComputeUsageRecord
        {
            Id = Guid.NewGuid(), RequestId = round.RequestId, BatchId = batch.Id, RunId = run.Id, Round = 0, Kind = "generate",
            Model = "gen-small", PromptTokens = 20, CachedPromptTokens = 300, GeneratedTokens = 528, ScoredTokens = 0,
            Flops = 1.234e12, DeviceMilliseconds = 41.5, RecordedAt = at,
        };
        var sweep = new Sweep
        {
            Id = Guid.NewGuid(), Key = $"test:{Guid.NewGuid():N}", Status = "completed", ConfigJson = "{}", BatchId = batch.Id,
            ProblemCount = 1, StartedAt = at, CompletedAt = at.AddHours(1),
        };
        var policy = new Policy
        {
            Id = Guid.NewGuid(), Version = Random.Shared.Next(1, int.MaxValue), DifficultyBin = 4, Budget = 16, Strategy = "beam-search",
            ParametersJson = """{"beamWidth":4}""", Accuracy = 0.5, MeanGeneratedTokens = 700.5, SweepId = sweep.Id, Active = true,
            FittedAt = at,
        };
        return new SampleGraph
        {
            Batch = batch, Problem = problem, Run = run, Round = round, Candidate = candidate, Usage = usage, Sweep = sweep, Policy = policy,
        };
    }

    public void AddTo(PlatformDbContext db)
    {
        db.Batches.Add(Batch);
        db.Problems.Add(Problem);
        db.Runs.Add(Run);
        db.RunRounds.Add(Round);
        db.Candidates.Add(Candidate);
        db.ComputeUsage.Add(Usage);
        db.Sweeps.Add(Sweep);
        db.Policies.Add(Policy);
    }

    /// <summary>The same rows written by <see cref="BulkInserts"/> (COPY on PostgreSQL, a prepared INSERT on SQLite), in one transaction.</summary>
    public async Task InsertManyInto(PlatformDbContext db)
    {
        foreach (var step in Candidate.StepScores)
        {
            step.CandidateId = Candidate.Id;
        }

        await using var transaction = await db.Database.BeginTransactionAsync();
        await db.InsertManyAsync([Batch], default);
        await db.InsertManyAsync([Problem], default);
        await db.InsertManyAsync([Run], default);
        await db.InsertManyAsync([Round], default);
        await db.InsertManyAsync([Candidate], default);
        await db.InsertManyAsync(Candidate.StepScores, default);
        await db.InsertManyAsync([Usage], default);
        await db.InsertManyAsync([Sweep], default);
        await db.InsertManyAsync([Policy], default);
        await transaction.CommitAsync();
    }

    public async Task AssertStoredIn(PlatformDbContext db)
    {
        AssertSameScalars(Batch, await db.Batches.AsNoTracking().SingleAsync(x => x.Id == Batch.Id));
        AssertSameScalars(Problem, await db.Problems.AsNoTracking().SingleAsync(x => x.Id == Problem.Id));
        AssertSameScalars(Run, await db.Runs.AsNoTracking().SingleAsync(x => x.Id == Run.Id));
        AssertSameScalars(Round, await db.RunRounds.AsNoTracking().SingleAsync(x => x.Id == Round.Id));
        var candidate = await db.Candidates.AsNoTracking().Include(c => c.StepScores).SingleAsync(x => x.Id == Candidate.Id);
        AssertSameScalars(Candidate, candidate);
        Assert.Equal(Candidate.StepScores.Count, candidate.StepScores.Count);
        foreach (var expected in Candidate.StepScores)
        {
            AssertSameScalars(expected, candidate.StepScores.Single(s => s.Id == expected.Id));
        }

        AssertSameScalars(Usage, await db.ComputeUsage.AsNoTracking().SingleAsync(x => x.Id == Usage.Id));
        AssertSameScalars(Sweep, await db.Sweeps.AsNoTracking().SingleAsync(x => x.Id == Sweep.Id));
        AssertSameScalars(Policy, await db.Policies.AsNoTracking().SingleAsync(x => x.Id == Policy.Id));

        // Ordering and filtering on timestamps must translate on every provider.
        var latest = await db.Runs.AsNoTracking().Where(r => r.CreatedAt >= Run.CreatedAt).OrderByDescending(r => r.UpdatedAt).FirstAsync();
        Assert.Equal(Run.Id, latest.Id);
    }

    /// <summary>Every value-typed or string property equal; navigations are compared by the caller.</summary>
    private static void AssertSameScalars<T>(T expected, T actual)
    {
        foreach (var property in typeof(T).GetProperties())
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (type.IsValueType || type == typeof(string))
            {
                Assert.True(Equals(property.GetValue(expected), property.GetValue(actual)),
                    $"{typeof(T).Name}.{property.Name}: expected {property.GetValue(expected)}, stored {property.GetValue(actual)}");
            }
        }
    }
}
