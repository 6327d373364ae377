using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Contracts;
using Platform.Generator;
using Platform.Generator.Extensions;

namespace Platform.IntegrationTests;

/// <summary>
/// A search branch that reaches the model's context ends, the run does not: the Generator (gen-small, a
/// 128-token context, real ONNX) answers a prefix that fills the context with finished, truncated
/// candidates (finish reason "context"), beside the other prefixes' samples; a problem whose own prompt
/// fills the context still fails the request, since no candidate can be produced.
/// </summary>
public sealed class GenerationContextTests
{
    private static async Task<(IHost Host, GenerationService Service)> Start()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddGeneratorComponents();
        var host = builder.Build();
        await host.StartAsync();
        return (host, host.Services.GetRequiredService<GenerationService>());
    }

    private static GenerateCandidates Request(string problem, params string[] prefixes) => new()
    {
        RequestId = Guid.NewGuid(), RunId = Guid.NewGuid(), Model = "gen-small", Problem = problem, Mode = "step", Steps = 1, SamplesPerPrefix = 2,
        Prefixes = [.. prefixes.Select((p, i) => new GenerationPrefix { Key = $"p{i}", Text = p })],
        Sampling = new SamplingSettings { Temperature = 0.8, MaxNewTokens = 32, Seed = 7 },
    };

    [Fact]
    public async Task A_prefix_at_the_context_becomes_a_finished_candidate_and_a_prompt_over_it_fails()
    {
        var (host, service) = await Start();
        try
        {
            var full = string.Concat(Enumerable.Repeat("12+30=42\n", 20)); // 180 characters: past gen-small's 128 tokens
            var reply = await service.Generate(Request("(37+48)*3-19", "", full), CancellationToken.None);
            Assert.Null(reply.Error);
            Assert.Equal(2, reply.Samples.Count(s => s.PrefixKey == "p0" && s.FinishReason != "context" && s.TokenCount > 0));
            var ended = reply.Samples.Where(s => s.PrefixKey == "p1").ToList();
            Assert.Equal(2, ended.Count);
            Assert.All(ended, s => Assert.Equal(("context", "", 0), (s.FinishReason, s.Text, s.TokenCount)));

            var tooLong = await service.Generate(Request(string.Concat(Enumerable.Repeat("1+", 100)) + "1", ""), CancellationToken.None);
            Assert.Contains("the model's context is 128", tooLong.Error);
        }
        finally
        {
            await host.StopAsync();
            host.Dispose();
        }
    }
}
