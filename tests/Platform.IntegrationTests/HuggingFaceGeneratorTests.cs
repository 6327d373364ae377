using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>
/// A Hugging Face-format generator (models/hf-arith: a Qwen2-layout model trained on the arithmetic task
/// through its tokenizer.json and chat template, scripts/hf-models/train_arith.py) through the four
/// services over RabbitMQ and PostgreSQL, with the project's own verifier reading what it writes.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class HuggingFaceGeneratorTests(Servers servers)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Theory]
    [InlineData("weighted-best-of-n")]
    [InlineData("beam-search")]
    public async Task A_real_format_generator_runs_search_through_the_services_with_graded_answers_and_compute(string strategy)
    {
        await using var hosts = await PlatformHosts.Start(servers, new() { ["Router:PolicyFile"] = "/nonexistent/policy.json" });
        var batch = new SubmitBatch
        {
            BatchId = Guid.NewGuid(), Name = "hf-arith", Problems = PipelineTests.HeldOut(8), Seed = 5, Strategy = strategy, N = 4,
            BeamWidth = strategy == "beam-search" ? 2 : null, GeneratorModel = "hf-arith", VerifierModel = "prm",
        };
        await hosts.Send(batch, QueueNames.SubmitBatch);
        var completed = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);
        Assert.Equal(8, completed.Completed);
        Assert.True(completed.Correct > 0, $"the trained model should solve some of the 8 problems with {strategy} (solved {completed.Correct})");

        await using var db = hosts.NewContext();
        var runs = await db.Runs.Where(r => r.BatchId == batch.BatchId).ToListAsync();
        Assert.All(runs, r =>
        {
            Assert.Equal(RunStatus.Completed, r.Status);
            Assert.NotNull(r.Correct);
            Assert.True(r.GeneratedTokens > 0 && r.ScoredTokens > 0 && r.Flops > 0, "generation and scoring compute are recorded per run");
        });

        // Candidates are the model's own text in the project's format, scored step by step by the verifier.
        var candidates = await db.Candidates.Where(c => runs.Select(r => r.Id).Contains(c.RunId)).Include(c => c.StepScores).ToListAsync();
        Assert.Contains(candidates, c => c.Text.Contains("A: ", StringComparison.Ordinal) && c.StepScores.Count > 0);
        var usage = await db.ComputeUsage.Where(u => u.BatchId == batch.BatchId).ToListAsync();
        Assert.Contains(usage, u => u.Model == "hf-arith" && u.GeneratedTokens > 0);
        Assert.Contains(usage, u => u.Model == "prm" && u.ScoredTokens > 0);
    }

    [Fact]
    public async Task A_public_reward_model_family_scores_the_steps_the_generator_wrote_through_the_services()
    {
        // A Qwen2.5-Math-PRM-style verifier from the catalog; the generator's recipe ends steps with "\n" (the
        // verifier's own folder says nothing), so one score per line arrives only if the delimiter travels with the plan.
        await using var hosts = await PlatformHosts.Start(servers, new()
        {
            ["Router:PolicyFile"] = "/nonexistent/policy.json", ["Models:Catalog:qwen-prm"] = Repository.Path("models/hf-verifiers/qwen-prm"),
        });
        var batch = new SubmitBatch
        {
            BatchId = Guid.NewGuid(), Name = "hf-verifier", Problems = PipelineTests.HeldOut(4), Seed = 5, Strategy = "weighted-best-of-n", N = 4,
            GeneratorModel = "hf-arith", VerifierModel = "qwen-prm",
        };
        await hosts.Send(batch, QueueNames.SubmitBatch);
        var completed = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);
        Assert.Equal(4, completed.Completed);

        await using var db = hosts.NewContext();
        var runs = await db.Runs.Where(r => r.BatchId == batch.BatchId).Select(r => r.Id).ToListAsync();
        var candidates = await db.Candidates.Where(c => runs.Contains(c.RunId)).Include(c => c.StepScores).ToListAsync();
        Assert.Equal(16, candidates.Count);
        Assert.All(candidates, c => Assert.Equal(c.Text.Split('\n').Count(line => line.Length > 0), c.StepScores.Count));
        Assert.All(candidates.SelectMany(c => c.StepScores), s => Assert.InRange(s.Score, 0.0, 1.0));
        var usage = await db.ComputeUsage.Where(u => u.BatchId == batch.BatchId && u.Model == "qwen-prm").ToListAsync();
        Assert.True(usage.Sum(u => u.ScoredTokens) > 0 && usage.Sum(u => u.Flops) > 0, "the family verifier's compute is recorded");
    }
}
