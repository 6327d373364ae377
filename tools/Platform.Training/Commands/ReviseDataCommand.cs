using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;
using Platform.Training.Data;

namespace Platform.Training.Commands;

/// <summary>
/// <c>ttc-train revise-data</c>: the raw material of revision trajectories. For training problems (never
/// held-out ones) sample the generator N times and record each sample with whether it reaches the reference
/// answer; <c>ttc-train revise</c> draws trajectories from these records.
/// </summary>
public static class ReviseDataCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Generator whose own samples become earlier attempts", Required = true };
        var problems = new Option<int>("--problems") { Required = true };
        var samples = new Option<int>("--samples") { DefaultValueFactory = _ => 8 };
        var temperature = new Option<double>("--temperature") { DefaultValueFactory = _ => Platform.Reasoning.Planning.DefaultPolicy.SamplingTemperature };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 6 };
        var heldout = new Option<string[]>("--heldout") { Description = "JSONL files of problems never trained on", AllowMultipleArgumentsPerToken = true };
        var output = new Option<FileInfo>("--out") { Required = true };
        var command = new Command("revise-data", "Sample the generator on training problems and record which samples are right");
        foreach (var o in new Option[] { model, problems, samples, temperature, seed, heldout, output })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            using var generator = DecoderSession.Open(ModelDirectory.Load(parse.GetValue(model)!.FullName), new InferenceOptions());
            var excluded = (parse.GetValue(heldout) ?? []).SelectMany(f => ProblemStream.HeldOut(f)).ToHashSet();
            var stream = new ProblemStream(new ArithmeticSpec(), (ulong)parse.GetValue(seed) * 2_654_435_761UL + 17, excluded);
            var file = parse.GetValue(output)!;
            file.Directory?.Create();
            using var writer = new StreamWriter(file.FullName);
            var clock = Stopwatch.StartNew();
            long tokens = 0, right = 0, all = 0;
            var total = parse.GetValue(problems);
            const int chunk = 32;
            for (var done = 0; done < total; done += chunk)
            {
                var part = Enumerable.Range(0, Math.Min(chunk, total - done)).Select(_ => stream.Next()).ToList();
                var chunkSeed = (ulong)parse.GetValue(seed) * 9_173UL + (ulong)done;
                // The same sampling as the verifiers' data (seed per problem from the chunk's seed).
                var (sampled, generated) = PrmDataCommand.Sample(generator, part, parse.GetValue(samples), parse.GetValue(temperature), chunkSeed);
                tokens += generated;
                for (var i = 0; i < part.Count; i++)
                {
                    var p = part[i];
                    var gold = p.Answer.ToString(CultureInfo.InvariantCulture);
                    var texts = sampled.Where(x => x.Problem == i).Select(x => x.Text).ToArray();
                    var correct = texts.Select(t => ArithmeticFormat.ExtractAnswer(t) == gold).ToArray();
                    writer.WriteLine(JsonSerializer.Serialize(new RevisionRecord(p.Problem, gold, p.Level, p.Solution, texts, correct), ArithmeticRecord.Json));
                    right += correct.Count(c => c);
                    all += correct.Length;
                }

                Console.Error.Write($"\r{done + part.Count}/{total} problems, {tokens:N0} tokens, {clock.Elapsed.TotalMinutes:F1} min");
            }

            Console.Error.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sampled {all} solutions of {total} problems ({100.0 * right / Math.Max(1, all):F1}% right) with {tokens:N0} generated tokens in {clock.Elapsed.TotalMinutes:F1} min (held-out problems skipped: {stream.Skipped})"));
            return 0;
        });
        return command;
    }
}
