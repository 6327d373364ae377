using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Reasoning.Answers;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Planning;
using Platform.Reasoning.Policy;
using Platform.Reasoning.Selection;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Operations.Sweeps;

/// <summary>One sample (candidate) of a run, as the policy fit reads it.</summary>
/// <param name="Confidence">Its mean token confidence from the generator's log-probabilities (null where none was reported).</param>
public sealed record SweepSample(string Key, string? Answer, double Score, int Tokens, double? Confidence = null);

/// <summary>One run of a configuration: its problem, plan, outcome, compute and samples.</summary>
public sealed record SweepRun(string Text, string? Reference, string PlanJson, bool Completed, bool Correct, long GeneratedTokens, double Flops, int N, List<SweepSample> Samples);

/// <summary>
/// The runs of one sweep configuration, read from the platform database: one batch of it (a sweep run
/// through the services records each cell as a batch in PostgreSQL) or all of a database (each
/// <c>ttc eval --db</c> file holds one configuration). Only the columns the fit needs are read, so
/// databases written by earlier versions of the schema read as well.
/// </summary>
public sealed class SweepRuns
{
    private SweepRuns(string name, List<SweepRun> runs)
    {
        Name = name;
        Runs = runs;
    }

    /// <summary>The configuration's name (a cell name such as <c>weighted-bon-4</c>).</summary>
    public string Name { get; }

    public IReadOnlyList<SweepRun> Runs { get; }

    public static async Task<SweepRuns> Load(PlatformDbContext db, string name, Guid? batchId, CancellationToken ct)
    {
        var runs = await db.Runs.AsNoTracking().Where(r => batchId == null || r.BatchId == batchId)
            .Select(r => new { r.Id, r.Problem!.Text, r.Problem.ReferenceAnswer, r.PlanJson, r.Status, r.Correct, r.GeneratedTokens, r.Flops, r.N })
            .ToListAsync(ct);
        var samples = await (from c in db.Candidates.AsNoTracking()
                             join r in db.Runs on c.RunId equals r.Id
                             where batchId == null || r.BatchId == batchId
                             select new { c.RunId, c.Key, c.ExtractedAnswer, c.Score, c.TokenCount, c.ConfidenceMean }).ToListAsync(ct);
        var byRun = samples.GroupBy(s => s.RunId).ToDictionary(g => g.Key, g => g.Select(s => new SweepSample(s.Key, s.ExtractedAnswer, s.Score ?? 0, s.TokenCount, s.ConfidenceMean)).ToList());
        return new SweepRuns(name, [.. runs.Select(r => new SweepRun(r.Text, r.ReferenceAnswer, r.PlanJson, r.Status == RunStatus.Completed, r.Correct == true,
            r.GeneratedTokens, r.Flops, r.N, byRun.GetValueOrDefault(r.Id) ?? []))]);
    }

    /// <summary>A <c>ttc eval --db</c> file (SQLite, opened read-only), its name without .db as the configuration's.</summary>
    public static async Task<SweepRuns> LoadFile(string path, CancellationToken ct)
    {
        await using var db = OpenReadOnly(path);
        return await Load(db, Path.GetFileNameWithoutExtension(path), null, ct);
    }

    /// <summary>A SQLite file of the platform's model, read-only (nothing is created or upgraded).</summary>
    public static PlatformDbContext OpenReadOnly(string path) =>
        new(PlatformDbContextOptions.Create(StorageProvider.Sqlite,
            new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = path, Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadOnly }.ToString()));

    /// <summary>Per problem text: the share of its samples whose answer is right, and how many samples.</summary>
    public Dictionary<string, (double Rate, int Samples)> PassAt1()
    {
        var counts = new Dictionary<string, (int Right, int All)>();
        foreach (var run in Runs)
        {
            foreach (var sample in run.Samples)
            {
                var right = run.Reference is not null && sample.Answer is not null && AnswerEquivalence.Equivalent(run.Reference, sample.Answer);
                var (r, a) = counts.GetValueOrDefault(run.Text);
                counts[run.Text] = (r + (right ? 1 : 0), a + 1);
            }
        }

        return counts.ToDictionary(p => p.Key, p => ((double)p.Value.Right / p.Value.All, p.Value.All));
    }

    /// <summary>
    /// Per problem text: the mean difficulty signal of its samples — their final verifier score, or with
    /// <paramref name="signal"/> confidence their mean token confidence — how many, their generated tokens, and the run's FLOPs.
    /// </summary>
    public Dictionary<string, (double Mean, int Count, double Tokens, double Flops)> ProbeScores(ProbeSignal signal = ProbeSignal.Score)
    {
        var scores = new Dictionary<string, (double, int, double, double)>();
        foreach (var problem in Runs.Where(r => r.Samples.Count > 0).GroupBy(r => r.Text))
        {
            var samples = problem.SelectMany(r => r.Samples).ToList();
            scores[problem.Key] = (samples.Average(s => signal == ProbeSignal.Confidence ? s.Confidence ?? 0 : s.Score), samples.Count, samples.Sum(s => (double)s.Tokens),
                problem.Max(r => r.Flops));
        }

        return scores;
    }

    /// <summary>Whether the configuration's samples were scored by a verifier (a voting run's are not: its scores read 0).</summary>
    public bool HasScores => Runs.Any(r => r.Samples.Any(s => s.Score != 0));

    /// <summary>Whether every sample of the configuration carries a confidence (the Generator reported log-probabilities).</summary>
    public bool HasConfidence => Runs.Any(r => r.Samples.Count > 0) && Runs.All(r => r.Samples.All(s => s.Confidence is not null));

    /// <summary>The configuration as a policy step (from its first run's plan).</summary>
    public PolicyStep Step()
    {
        using var plan = JsonDocument.Parse(Runs[0].PlanJson);
        var p = plan.RootElement;
        return new PolicyStep
        {
            Strategy = p.GetProperty("strategy").GetString()!, N = p.GetProperty("n").GetInt32(), BeamWidth = p.GetProperty("beamWidth").GetInt32(),
            Lookahead = p.GetProperty("lookahead").GetInt32(), Aggregation = p.GetProperty("aggregation").GetString()!,
            Chains = p.TryGetProperty("chains", out var chains) ? chains.GetInt32() : 0,
            ChainLength = p.TryGetProperty("chainLength", out var length) ? length.GetInt32() : 0,
            EarlyStop = p.TryGetProperty("earlyStop", out var stop) && stop.ValueKind == JsonValueKind.String ? EarlyStop.Parse(stop.GetString()!) : null,
            Confidence = p.TryGetProperty("confidence", out var confidence) && confidence.ValueKind == JsonValueKind.String
                ? Platform.Reasoning.Confidence.ConfidenceSettings.Parse(confidence.GetString()!) : null,
        };
    }

    /// <summary>One outcome per completed run, for problems that have a bin; empty for another generator or verifier.</summary>
    public List<SweepOutcome> Outcomes(string generator, string verifier, IReadOnlyDictionary<string, int> bins)
    {
        var rows = new List<SweepOutcome>();
        foreach (var run in Runs.Where(r => r.Completed))
        {
            using var plan = JsonDocument.Parse(run.PlanJson);
            var p = plan.RootElement;
            if (p.GetProperty("generatorModel").GetString() != generator ||
                (Strategies.UsesVerifier(p.GetProperty("strategy").GetString()!) && p.GetProperty("verifierModel").GetString() != verifier))
            {
                return [];
            }

            if (!bins.TryGetValue(run.Text, out var bin))
            {
                continue;
            }

            var key = p.GetProperty("strategy").GetString()!;
            if (p.GetProperty("beamWidth").GetInt32() is > 0 and var m)
            {
                key += $":M={m}";
            }

            if (p.GetProperty("lookahead").GetInt32() is > 0 and var k)
            {
                key += $":k={k}";
            }

            if (p.TryGetProperty("chains", out var chains) && chains.GetInt32() is > 0 and var parallel)
            {
                key += $":P={parallel}";
            }

            if (p.TryGetProperty("earlyStop", out var stop) && stop.ValueKind == JsonValueKind.String)
            {
                key += $":stop={EarlyStop.Parse(stop.GetString()!).Rule}";
            }

            if (p.TryGetProperty("confidence", out var confidence) && confidence.ValueKind == JsonValueKind.String)
            {
                var c = Platform.Reasoning.Confidence.ConfidenceSettings.Parse(confidence.GetString()!);
                key += $":{Platform.Reasoning.Confidence.ConfidenceMeasures.Name(c.Measure)}:keep={c.KeepPercent:0}";
            }

            rows.Add(new SweepOutcome(run.Text, bin, key, p.GetProperty("n").GetInt32(), run.Correct, run.GeneratedTokens, run.Flops));
        }

        return rows;
    }

    /// <summary>
    /// Outcomes of a sampling strategy at <paramref name="k"/> samples from a run with more: per problem
    /// the first k samples (by sample number), picked by the strategy's rule, graded, their tokens summed;
    /// FLOPs are the run's in proportion to the samples kept (generation and scoring grow with samples).
    /// </summary>
    public List<SweepOutcome> Subsample(string strategy, int k, IReadOnlyDictionary<string, int> bins)
    {
        var rows = new List<SweepOutcome>();
        foreach (var run in Runs.Where(r => r.Completed))
        {
            var items = run.Samples.Select(s => (Ok: int.TryParse(s.Key.TrimStart('n'), out var index), Index: index, Sample: s)).Where(x => x.Ok).ToList();
            if (!bins.TryGetValue(run.Text, out var bin) || items.Count < k)
            {
                continue;
            }

            var first = items.OrderBy(i => i.Index).Take(k).Select(i => i.Sample).ToList();
            var answers = first.Select(i => i.Answer).ToList();
            var scores = first.Select(i => i.Score).ToList();
            var pick = strategy switch
            {
                Strategies.SelfConsistency => AnswerSelection.Majority(answers),
                Strategies.BestOfN => AnswerSelection.Best(answers, scores),
                _ => AnswerSelection.Weighted(answers, scores),
            };
            var answer = pick is { } i ? answers[i] : null;
            rows.Add(new SweepOutcome(run.Text, bin, strategy, k, run.Reference is not null && answer is not null && AnswerEquivalence.Equivalent(run.Reference, answer),
                first.Sum(x => x.Tokens), run.Flops / Math.Max(1, run.N) * k));
        }

        return rows;
    }
}
