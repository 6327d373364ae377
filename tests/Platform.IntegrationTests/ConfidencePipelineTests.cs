using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Reasoning.Confidence;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>Confidence-aware strategies through the services over real RabbitMQ and PostgreSQL: log-probabilities from the Generator, stored per candidate, used to stop.</summary>
[Collection(ServersCollection.Name)]
public sealed class ConfidencePipelineTests(Servers servers)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    [Theory]
    [InlineData("gen-small")]
    [InlineData("hf-arith")] // a real-format (Hugging Face layout) generator: the same code path
    public async Task DeepConf_online_warms_up_then_stops_traces_below_its_threshold_and_stores_every_confidence(string generator)
    {
        await using var hosts = await PlatformHosts.Start(servers, new() { ["Router:PolicyFile"] = "/nonexistent/policy.json" });
        var batch = new SubmitBatch
        {
            BatchId = Guid.NewGuid(), Problems = PipelineTests.HeldOut(6), Strategy = "deepconf", N = 16, Seed = 3, GeneratorModel = generator,
            Confidence = "warmup=4,keep=90,window=4", EarlyStop = "rule=weight,weight=0,share=1,wave=4",
        };
        await hosts.Send(batch, QueueNames.SubmitBatch);
        var done = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);
        Assert.Equal(6, done.Completed);

        await using var db = hosts.NewContext();
        var runs = await db.Runs.Where(r => r.BatchId == batch.BatchId).ToListAsync();
        var stopped = 0;
        foreach (var run in runs)
        {
            Assert.Equal(RunStatus.Completed, run.Status);
            var rounds = await db.RunRounds.Where(r => r.RunId == run.Id).OrderBy(r => r.Index).ToListAsync();
            var requests = rounds.Select(r => System.Text.Json.JsonSerializer.Deserialize<GenerateCandidates>(r.RequestJson!, Json)!).ToList();
            Assert.All(requests, r => Assert.Equal(TraceConfidence.DefaultTopK, r.Sampling.TopLogProbs));
            Assert.Equal(4, requests[0].SamplesPerPrefix);
            Assert.Null(requests[0].ConfidenceStop); // the warm-up runs free
            Assert.All(requests.Skip(1), r => Assert.Equal(4, r.ConfidenceStop!.Window));

            var candidates = await db.Candidates.Where(c => c.RunId == run.Id).ToListAsync();
            Assert.InRange(candidates.Count, 4, 16);
            Assert.Equal(candidates.Count, requests.Sum(r => r.SamplesPerPrefix));
            foreach (var c in candidates)
            {
                // Per token, two halves; the stored trace confidences are those of the stored tokens.
                Assert.Equal(c.TokenCount * 4, c.TokenLogProbs!.Length);
                var (logProbs, confidences) = TokenLogProbs.Unpack(c.TokenLogProbs);
                var expected = TraceConfidence.Of(confidences, 4, 4)!;
                Assert.Equal(expected.Mean, c.ConfidenceMean!.Value, 6);
                Assert.Equal(expected.LowestGroup, c.ConfidenceLowestGroup!.Value, 6);
                Assert.All(logProbs, l => Assert.True(l <= 0.01, $"log-probability {l}"));
            }

            stopped += candidates.Count(c => c.FinishReason == "confidence");
            var selected = candidates.SingleOrDefault(c => c.Selected);
            Assert.True(selected is null || selected.FinishReason != "confidence", "a stopped trace does not vote");
            Assert.Equal(candidates.Sum(c => (long)c.TokenCount), run.GeneratedTokens);
        }

        Assert.True(stopped > 0, "with a threshold at the warm-up's 10th percentile some traces fall below it");
    }

    [Fact]
    public async Task Weighted_best_of_n_stopped_early_samples_in_waves_until_the_vote_is_settled()
    {
        await using var hosts = await PlatformHosts.Start(servers, new() { ["Router:PolicyFile"] = "/nonexistent/policy.json" });
        var batch = new SubmitBatch
        {
            BatchId = Guid.NewGuid(), Problems = PipelineTests.HeldOut(6), Strategy = "weighted-best-of-n", N = 32, Seed = 3,
            EarlyStop = "rule=weight,wave=4,weight=1.5,share=0.8",
        };
        await hosts.Send(batch, QueueNames.SubmitBatch);
        var done = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);
        Assert.Equal(6, done.Completed);

        await using var db = hosts.NewContext();
        var counts = new List<int>();
        foreach (var run in await db.Runs.Where(r => r.BatchId == batch.BatchId).ToListAsync())
        {
            var candidates = await db.Candidates.Where(c => c.RunId == run.Id).ToListAsync();
            Assert.Equal(0, candidates.Count % 4);
            Assert.All(candidates, c => Assert.NotNull(c.Score));
            counts.Add(candidates.Count);
            var rounds = await db.RunRounds.Where(r => r.RunId == run.Id).CountAsync();
            Assert.True(rounds >= candidates.Count / 4, "one wave a round at least");
        }

        Assert.Contains(counts, c => c < 32); // the easy problems settle early
    }
}
