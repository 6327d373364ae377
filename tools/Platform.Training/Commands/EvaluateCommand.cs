using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;
using Platform.Training.Evaluation;

namespace Platform.Training.Commands;

/// <summary>
/// <c>ttc-train evaluate</c>: greedy, pass@k, maj@k, operation-line accuracy by operator, and for each
/// verifier given: best-of-N, weighted best-of-N, step AUC and the pairwise probe — on held-out
/// problems, through ONNX Runtime.
/// </summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Required = true };
        var verifiers = new Option<DirectoryInfo[]>("--verifier", "--prm") { Description = "Also score the samples with these verifiers (PRM or ORM folders)", AllowMultipleArgumentsPerToken = true };
        var heldout = new Option<FileInfo>("--heldout") { Required = true };
        var samples = new Option<int>("--samples") { DefaultValueFactory = _ => 16 };
        var temperature = new Option<double>("--temperature") { DefaultValueFactory = _ => Platform.Reasoning.Planning.DefaultPolicy.SamplingTemperature };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 1UL };
        var limit = new Option<int?>("--limit");
        var output = new Option<FileInfo?>("--out") { Description = "Write the report as JSON" };
        var command = new Command("evaluate", "Measure a generator (and optionally verifiers) on held-out problems");
        foreach (var o in new Option[] { model, verifiers, heldout, samples, temperature, seed, limit, output })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            var problems = ArithmeticRecord.ReadAll(parse.GetValue(heldout)!.FullName).Take(parse.GetValue(limit) ?? int.MaxValue).ToList();
            var report = Evaluate(parse.GetValue(model)!.FullName, (parse.GetValue(verifiers) ?? []).Select(d => d.FullName).ToList(), problems,
                parse.GetValue(samples), parse.GetValue(temperature), parse.GetValue(seed));
            Console.WriteLine(GeneratorEvaluation.Table(report));
            Console.WriteLine(GeneratorEvaluation.OperationTable(report));
            foreach (var (name, probe) in report.Probes)
            {
                Console.WriteLine($"probe {name}: {PrmProbe.Describe(probe)}");
            }

            if (parse.GetValue(output) is { } file)
            {
                File.WriteAllText(file.FullName, JsonSerializer.Serialize(report, ModelManifest.Json));
            }

            return 0;
        });
        return command;
    }

    public static EvaluationReport Evaluate(string modelPath, IReadOnlyList<string> verifierPaths, IReadOnlyList<ArithmeticRecord> problems, int samples, double temperature, ulong seed)
    {
        var options = new InferenceOptions();
        using var generator = DecoderSession.Open(ModelDirectory.Load(modelPath), options);
        var scorers = verifierPaths.Select(p => PrmScorer.Open(ModelDirectory.Load(p), options)).ToList();
        try
        {
            var byName = scorers.ToDictionary(s => s.Model.Name);
            var clock = Stopwatch.StartNew();
            var outcomes = GeneratorEvaluation.Run(generator, byName, problems, samples, temperature, seed,
                done => Console.Error.Write($"\r{done}/{problems.Count} problems"));
            Console.Error.WriteLine();
            var wall = clock.Elapsed.TotalSeconds;
            var texts = problems.Select(p => p.Problem).ToList();
            var probes = new SortedDictionary<string, PrmProbe.Result>(byName.ToDictionary(kv => kv.Key, kv => PrmProbe.Run(kv.Value, texts, 4242)), StringComparer.Ordinal);
            var tokens = outcomes.Sum(o => o.Samples.Sum(s => (long)s.Length));
            return GeneratorEvaluation.Report(generator.Model.Name, generator.Model.Manifest.Parameters, scorers.Select(s => s.Model.Name).ToList(),
                outcomes, samples, temperature, seed, tokens, wall, probes);
        }
        finally
        {
            scorers.ForEach(s => s.Dispose());
        }
    }
}
