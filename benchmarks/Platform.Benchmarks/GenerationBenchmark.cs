using System.Diagnostics;
using System.Globalization;
using System.Text;
using Platform.Inference.Runtime;

namespace Platform.Benchmarks;

public sealed record ModeResult(string Mode, long Tokens, double Seconds, double Flops)
{
    public double TokensPerSecond => Tokens / Seconds;
    public double FlopsPerSecond => Flops / Seconds;
}

/// <summary>
/// N samples of one prompt, three ways: (a) one at a time recomputing the whole sequence each step
/// (no KV cache), (b) one at a time with a KV cache, (c) all N in one batch from one shared prefill.
/// </summary>
public static class GenerationBenchmark
{
    public static IReadOnlyList<ModeResult> Run(DecoderSession session, string prompt, int samples, double temperature, int maxNewTokens, int repeats)
    {
        SamplingOptions Sampling(ulong seed) => new() { Temperature = temperature, Seed = seed, MaxNewTokens = maxNewTokens };
        var request = new GenerationRequest { Prompt = prompt, Samples = samples, Sampling = Sampling(1) };

        ModeResult Best(string mode, Func<(long Tokens, double Flops)> body)
        {
            body(); // warm-up
            ModeResult? best = null;
            for (var r = 0; r < repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                var (tokens, flops) = body();
                var result = new ModeResult(mode, tokens, clock.Elapsed.TotalSeconds, flops);
                if (best is null || result.TokensPerSecond > best.TokensPerSecond)
                {
                    best = result;
                }
            }

            return best!;
        }

        var a = Best("a: one at a time, no KV cache", () =>
        {
            var r = Platform.Inference.Tests.UncachedDecoder.Generate(session, request);
            return (r.Usage.GeneratedTokens, r.Usage.Flops);
        });
        var b = Best("b: one at a time, KV cache", () =>
        {
            long tokens = 0;
            double flops = 0;
            for (var s = 0; s < samples; s++)
            {
                var r = session.Generate([request with { Samples = 1, Sampling = Sampling((ulong)s + 1) }])[0];
                tokens += r.Usage.GeneratedTokens;
                flops += r.Usage.Flops;
            }

            return (tokens, flops);
        });
        var c = Best("c: batched, shared-prefix KV cache", () =>
        {
            var r = session.Generate([request])[0];
            return (r.Usage.GeneratedTokens, r.Usage.Flops);
        });
        return [a, b, c];
    }

    public static string Markdown(string model, IReadOnlyList<ModeResult> modes, double peakGflops)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine($"| {model} mode | generated tokens | seconds | tokens/s | achieved GFLOP/s | share of MatMul peak |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var m in modes)
        {
            sb.AppendLine(string.Create(inv, $"| {m.Mode} | {m.Tokens} | {m.Seconds:F3} | {m.TokensPerSecond:F0} | {m.FlopsPerSecond / 1e9:F2} | {100 * m.FlopsPerSecond / 1e9 / peakGflops:F1}% |"));
        }

        var (a, b, c) = (modes[0], modes[1], modes[2]);
        sb.AppendLine();
        sb.AppendLine(string.Create(inv, $"c/a = {c.TokensPerSecond / a.TokensPerSecond:F1}x (goal >= 10x), c/b = {c.TokensPerSecond / b.TokensPerSecond:F1}x (goal >= 3x), (c) at {100 * c.FlopsPerSecond / 1e9 / peakGflops:F1}% of the {peakGflops:F1} GFLOP/s MatMul peak (goal >= 40%)."));
        return sb.ToString();
    }
}
