using System.CommandLine;
using System.Text.Json;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;
using Platform.Training.Evaluation;

namespace Platform.Training.Commands;

/// <summary><c>ttc-train evaluate-revisions</c>: revision chains against independent samples on held-out problems (through ONNX Runtime).</summary>
public static class EvaluateRevisionsCommand
{
    public static Command Create()
    {
        var generator = new Option<DirectoryInfo>("--model") { Description = "Generator whose sample starts each chain", Required = true };
        var reviser = new Option<DirectoryInfo>("--reviser") { Description = "Revision model", Required = true };
        var heldout = new Option<FileInfo>("--heldout") { Required = true };
        var chains = new Option<int>("--chains") { Description = "Chains per problem", DefaultValueFactory = _ => 4 };
        var length = new Option<int>("--length") { Description = "Attempts per chain (1 + revisions)", DefaultValueFactory = _ => 9 };
        var temperature = new Option<double>("--temperature") { DefaultValueFactory = _ => Platform.Reasoning.Planning.DefaultPolicy.SamplingTemperature };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 1UL };
        var limit = new Option<int?>("--limit");
        var output = new Option<FileInfo?>("--out");
        var command = new Command("evaluate-revisions", "Measure a revision model: chains of revisions against as many independent samples");
        foreach (var o in new Option[] { generator, reviser, heldout, chains, length, temperature, seed, limit, output })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            var options = new InferenceOptions();
            using var g = DecoderSession.Open(ModelDirectory.Load(parse.GetValue(generator)!.FullName), options);
            using var r = DecoderSession.Open(ModelDirectory.Load(parse.GetValue(reviser)!.FullName), options);
            var problems = ArithmeticRecord.ReadAll(parse.GetValue(heldout)!.FullName).Take(parse.GetValue(limit) ?? int.MaxValue).ToList();
            var report = RevisionEvaluation.Run(g, r, problems, parse.GetValue(chains), parse.GetValue(length), parse.GetValue(temperature), parse.GetValue(seed),
                maxNewTokens: 128, done => Console.Error.Write($"\r{done}/{problems.Count} problems"));
            Console.Error.WriteLine();
            Console.WriteLine(RevisionEvaluation.Table(report));
            if (parse.GetValue(output) is { } file)
            {
                File.WriteAllText(file.FullName, JsonSerializer.Serialize(report, ModelManifest.Json));
            }

            return 0;
        });
        return command;
    }
}
