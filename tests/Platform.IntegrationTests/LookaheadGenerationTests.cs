using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Contracts;
using Platform.Generator;
using Platform.Generator.Extensions;
using Platform.Reasoning.Controllers;

namespace Platform.IntegrationTests;

/// <summary>
/// Lookahead steps through the Generator (gen-small, real ONNX): each step comes back with the greedy rollout
/// the row that wrote it wrote after it (once for identical steps), a step that ends the solution with none,
/// and the rollout's tokens are counted as generated compute but not as the step's.
/// </summary>
public sealed class LookaheadGenerationTests
{
    private static GenerateCandidates Request(string mode, params string[] prefixes) => new()
    {
        RequestId = Guid.NewGuid(), RunId = Guid.NewGuid(), Model = "gen-small", Problem = "(37+48)*3-19", Mode = mode, Steps = 1, RolloutSteps = 1,
        SamplesPerPrefix = 4, Prefixes = [.. prefixes.Select((p, i) => new GenerationPrefix { Key = $"p{i}", Text = p })],
        Sampling = new SamplingSettings { Temperature = 0.8, MaxNewTokens = 32, Seed = 7 },
    };

    [Fact]
    public async Task A_lookahead_step_comes_with_its_rollout_and_an_answer_with_none()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddGeneratorComponents();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var service = host.Services.GetRequiredService<GenerationService>();
            var reply = await service.Generate(Request("step", "", "37+48=85\n85*3=255\n255-19=236\n"), CancellationToken.None);
            Assert.Null(reply.Error);
            var open = reply.Samples.Where(s => !SearchNode.Ends(s.Text, s.FinishReason)).ToList();
            var ended = reply.Samples.Where(s => SearchNode.Ends(s.Text, s.FinishReason)).ToList();
            Assert.NotEmpty(open);
            Assert.NotEmpty(ended); // the last prefix's steps are its answer
            Assert.All(open, s => Assert.False(string.IsNullOrEmpty(s.Rollout)));
            Assert.All(ended, s => Assert.Null(s.Rollout));
            Assert.All(reply.Samples, s => Assert.Equal(s.Text.Length, s.TokenCount)); // one token a character: the step's own tokens only
            // Each distinct open step's rollout was written once, however many samples wrote the step.
            var written = open.DistinctBy(s => (s.PrefixKey, s.Text)).Sum(s => s.Rollout!.Length);
            Assert.InRange(reply.Usage.GeneratedTokens, reply.Samples.Sum(s => s.TokenCount) + written, reply.Samples.Sum(s => s.TokenCount + 32));

            var refused = await service.Generate(Request("full", ""), CancellationToken.None);
            Assert.Contains("rolloutSteps is for 'step' mode only", refused.Error);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
