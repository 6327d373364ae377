using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;

namespace Platform.Inference.Tests;

/// <summary>Requests from concurrent runs are merged into one batch per model, and each caller gets its own results.</summary>
[Collection(ShippedModelsCollection.Name)]
public sealed class BatchSchedulerTests(ShippedModels models)
{
    [Fact]
    public async Task Concurrent_requests_share_one_forward_batch_and_get_their_own_samples()
    {
        var batches = new List<int>();
        await using var scheduler = new BatchScheduler<GenerationRequest, GenerationResult>(
            (_, requests, ct) =>
            {
                lock (batches)
                {
                    batches.Add(requests.Count);
                }

                return models.Generator.Generate(requests, ct);
            },
            r => r.Samples, TimeSpan.FromMilliseconds(200), maxWeight: 1000);

        GenerationRequest Step(string problem, string prefix, int k) => new()
        {
            Prompt = ArithmeticFormat.Prompt(problem) + prefix, Samples = k, StopStrings = ["\n"],
            Sampling = new SamplingOptions { Temperature = 0.8, Seed = 1 },
        };

        // Three "runs" each continue their own prefixes by one step, K samples per prefix.
        var a = scheduler.Submit("gen-small", [Step("(37+48)*3-19", "", 4), Step("(37+48)*3-19", "37+48=85\n", 4)], CancellationToken.None);
        var b = scheduler.Submit("gen-small", [Step("715-(511+11)+409", "511+11=522\n", 3)], CancellationToken.None);
        var c = scheduler.Submit("gen-small", [Step("5-3", "", 2)], CancellationToken.None);
        var results = await Task.WhenAll(a, b, c);

        Assert.Equal([4], batches);                      // one forward batch held all four prefixes
        Assert.Equal([4, 4], results[0].Select(r => r.Samples.Count));
        Assert.Equal(3, results[1].Single().Samples.Count);
        Assert.Equal(2, results[2].Single().Samples.Count);
        Assert.All(results.SelectMany(r => r).SelectMany(r => r.Samples), s => Assert.Equal(1, s.Text.Count(ch => ch == '\n')));

        // Each prefix was computed once and shared by its K samples.
        var prefix = models.Generator.EncodePrompt(ArithmeticFormat.Prompt("(37+48)*3-19") + "37+48=85\n").Length;
        Assert.Equal(prefix, results[0][1].Usage.PromptTokens);
        Assert.Equal(3L * prefix, results[0][1].Usage.CachedPromptTokens);
    }
}
