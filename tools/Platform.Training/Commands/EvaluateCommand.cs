using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;
using Platform.Training.Evaluation;

namespace Platform.Training.Commands;

/// <summary><c>ttc-train evaluate</c>: greedy, pass@k, maj@k (and with a PRM: best-of-N, weighted best-of-N, step AUC) on held-out problems, through ONNX Runtime.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Required = true };
        var prm = new Option<DirectoryInfo?>("--prm") { Description = "Also score samples with this PRM" };
        var heldout = new Option<FileInfo>("--heldout") { Required = true };
        var samples = new Option<int>("--samples") { DefaultValueFactory = _ => 16 };
        var temperature = new Option<double>("--temperature") { DefaultValueFactory = _ => 0.8 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 1UL };
        var limit = new Option<int?>("--limit");
        var output = new Option<FileInfo?>("--out") { Description = "Write the report as JSON" };
        var command = new Command("evaluate", "Measure a generator (and optionally a PRM) on held-out problems");
        foreach (var o in new Option[] { model, prm, heldout, samples, temperature, seed, limit, output })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            var problems = ArithmeticRecord.ReadAll(parse.GetValue(heldout)!.FullName).Take(parse.GetValue(limit) ?? int.MaxValue).ToList();
            var report = Evaluate(parse.GetValue(model)!.FullName, parse.GetValue(prm)?.FullName, problems,
                parse.GetValue(samples), parse.GetValue(temperature), parse.GetValue(seed));
            Console.WriteLine(GeneratorEvaluation.Table(report));
            if (parse.GetValue(output) is { } file)
            {
                File.WriteAllText(file.FullName, JsonSerializer.Serialize(report, ModelManifest.Json));
            }

            return 0;
        });
        return command;
    }

    public static EvaluationReport Evaluate(string modelPath, string? prmPath, IReadOnlyList<ArithmeticRecord> problems, int samples, double temperature, ulong seed)
    {
        var options = new InferenceOptions();
        using var generator = DecoderSession.Open(ModelDirectory.Load(modelPath), options);
        using var verifier = prmPath is null ? null : PrmScorer.Open(ModelDirectory.Load(prmPath), options);
        var clock = Stopwatch.StartNew();
        var outcomes = GeneratorEvaluation.Run(generator, verifier, problems, samples, temperature, seed,
            done => Console.Error.Write($"\r{done}/{problems.Count} problems"));
        Console.Error.WriteLine();
        var tokens = outcomes.Sum(o => o.Samples.Sum(s => (long)s.Length));
        return GeneratorEvaluation.Report(generator.Model.Name, verifier?.Model.Name, outcomes, samples, temperature, seed, tokens, clock.Elapsed.TotalSeconds);
    }
}
