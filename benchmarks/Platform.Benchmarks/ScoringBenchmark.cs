using System.Diagnostics;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;

namespace Platform.Benchmarks;

public sealed record ScoringResult(int Solutions, long ScoredTokens, double Seconds, double CpuSeconds, long Passes, double MeanRows)
{
    public double TokensPerSecond => ScoredTokens / Seconds;
}

/// <summary>
/// The Verifier's engine on its own: N sampled solutions of each of many prompts (generated once, not
/// timed, by the generator model), every prompt's solutions one request, all submitted at once to one
/// <see cref="ContinuousScorer"/> with the Verifier's row and token limits. Scored tokens per second and
/// the process's CPU seconds show what a change to the scoring passes is worth without the pipeline.
/// </summary>
public static class ScoringBenchmark
{
    public static async Task<IReadOnlyList<IReadOnlyList<ScoreRequest>>> Solutions(DecoderSession generator, IReadOnlyList<string> problems, int samples,
        double temperature, int maxNewTokens)
    {
        var (results, _, _, _) = await ContinuousBenchmark.Generate(generator, problems, samples, temperature, maxNewTokens, new ContinuousBatchLimits());
        return [.. results.Select((r, i) => (IReadOnlyList<ScoreRequest>)[.. r.SelectMany(x => x.Samples).Select(s => new ScoreRequest(problems[i], s.Text, generator.Model.Recipe.StepDelimiter))])];
    }

    public static async Task<ScoringResult> Run(PrmScorer scorer, IReadOnlyList<IReadOnlyList<ScoreRequest>> requests, int maxRows, long maxTokens)
    {
        await using var engine = new ContinuousScorer(_ => scorer, maxRows, maxTokens);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(requests.Select(r => engine.Submit(scorer.Model.Name, r, CancellationToken.None)));
        var seconds = clock.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var failed = results.SelectMany(r => r).FirstOrDefault(s => s.Error is not null);
        if (failed is not null)
        {
            throw new InvalidOperationException($"a solution was not scored: {failed.Error}");
        }

        return new ScoringResult(requests.Sum(r => r.Count), results.Sum(r => r.Sum(s => s.Usage.ScoredTokens)), seconds, cpuSeconds,
            engine.Passes, engine.Passes == 0 ? 0 : engine.Rows / (double)engine.Passes);
    }
}
