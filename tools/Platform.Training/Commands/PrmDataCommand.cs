using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;
using Platform.Training.Data;

namespace Platform.Training.Commands;

/// <summary>
/// <c>ttc-train prm-data</c>: Math-Shepherd step labels. For training problems (never held-out ones)
/// sample solutions from the generator; the label of each step is the fraction of K temperature
/// rollouts from the prefix ending at that step that reach the reference answer. A final answer line
/// is labelled by its own correctness (what every rollout from it would find).
/// </summary>
public static class PrmDataCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Generator whose solutions are labelled", Required = true };
        var completer = new Option<DirectoryInfo?>("--completer") { Description = "Model that performs the rollouts (default: --model); a stronger completer gives sharper labels" };
        var problems = new Option<int>("--problems") { Required = true };
        var samples = new Option<int>("--samples") { DefaultValueFactory = _ => 4 };
        var rollouts = new Option<int>("--rollouts") { DefaultValueFactory = _ => 8 };
        var temperature = new Option<double>("--temperature") { DefaultValueFactory = _ => 0.8 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 2 };
        var heldout = new Option<string?>("--heldout");
        var output = new Option<FileInfo>("--out") { Required = true };
        var command = new Command("prm-data", "Sample solutions and label every step by Monte-Carlo rollouts");
        foreach (var o in new Option[] { model, completer, problems, samples, rollouts, temperature, seed, heldout, output })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            using var generator = DecoderSession.Open(ModelDirectory.Load(parse.GetValue(model)!.FullName), new InferenceOptions());
            using var rollout = parse.GetValue(completer) is { } c ? DecoderSession.Open(ModelDirectory.Load(c.FullName), new InferenceOptions()) : null;
            var stream = new ProblemStream(new ArithmeticSpec(), (ulong)parse.GetValue(seed) * 2_654_435_761UL + 3, ProblemStream.HeldOut(parse.GetValue(heldout)));
            var file = parse.GetValue(output)!;
            file.Directory?.Create();
            using var writer = new StreamWriter(file.FullName);
            var clock = Stopwatch.StartNew();
            long tokens = 0;
            var total = parse.GetValue(problems);
            const int chunk = 16;
            for (var done = 0; done < total; done += chunk)
            {
                var part = Enumerable.Range(0, Math.Min(chunk, total - done)).Select(_ => stream.Next()).ToList();
                var (examples, generated) = Label(generator, rollout ?? generator, part, parse.GetValue(samples), parse.GetValue(rollouts), parse.GetValue(temperature),
                    (ulong)parse.GetValue(seed) * 7_777UL + (ulong)done);
                tokens += generated;
                foreach (var e in examples)
                {
                    writer.WriteLine(JsonSerializer.Serialize(e, ArithmeticRecord.Json));
                }

                Console.Error.Write($"\r{done + part.Count}/{total} problems, {tokens:N0} tokens, {clock.Elapsed.TotalMinutes:F1} min");
            }

            Console.Error.WriteLine();
            Console.WriteLine($"labelled {total * parse.GetValue(samples)} solutions of {total} problems with {tokens:N0} generated tokens in {clock.Elapsed.TotalMinutes:F1} min (held-out problems skipped: {stream.Skipped})");
            return 0;
        });
        return command;
    }

    public static (List<PrmExample> Examples, long GeneratedTokens) Label(DecoderSession generator, DecoderSession completer, IReadOnlyList<ArithmeticProblem> problems,
        int samples, int rollouts, double temperature, ulong seed)
    {
        var sampled = generator.Generate(problems.Select((p, i) => new GenerationRequest
        {
            Prompt = ArithmeticFormat.Prompt(p.Problem), Samples = samples,
            Sampling = new SamplingOptions { Temperature = temperature, Seed = seed + (ulong)i * 31 },
        }).ToList());
        long tokens = sampled.Sum(r => r.Usage.GeneratedTokens);

        // Every distinct (problem, prefix) is rolled out once.
        var prefixes = new Dictionary<(int Problem, string Prefix), double>();
        var solutions = new List<(int Problem, string Text, List<string> Steps)>();
        for (var i = 0; i < problems.Count; i++)
        {
            foreach (var s in sampled[i].Samples)
            {
                var steps = ArithmeticFormat.SplitSteps(s.Text).ToList();
                solutions.Add((i, s.Text, steps));
                for (var k = 0; k < steps.Count; k++)
                {
                    if (!steps[k].StartsWith("A:", StringComparison.Ordinal))
                    {
                        prefixes.TryAdd((i, string.Concat(steps.Take(k + 1).Select(x => x + "\n"))), 0);
                    }
                }
            }
        }

        var keys = prefixes.Keys.ToList();
        foreach (var batch in keys.Chunk(64))
        {
            var results = completer.Generate(batch.Select((key, j) => new GenerationRequest
            {
                Prompt = ArithmeticFormat.Prompt(problems[key.Problem].Problem) + key.Prefix, Samples = rollouts,
                Sampling = new SamplingOptions { Temperature = temperature, Seed = seed * 13 + (ulong)keys.IndexOf(key) },
            }).ToList());
            for (var j = 0; j < batch.Length; j++)
            {
                var gold = problems[batch[j].Problem].Answer.ToString(System.Globalization.CultureInfo.InvariantCulture);
                prefixes[batch[j]] = results[j].Samples.Count(s => ArithmeticFormat.ExtractAnswer(s.Text) == gold) / (double)rollouts;
                tokens += results[j].Usage.GeneratedTokens;
            }
        }

        var examples = solutions.Select(s =>
        {
            var p = problems[s.Problem];
            var gold = p.Answer.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var labels = s.Steps.Select((step, k) => step.StartsWith("A:", StringComparison.Ordinal)
                ? (ArithmeticFormat.ExtractAnswer(step) == gold ? 1.0 : 0.0)
                : prefixes[(s.Problem, string.Concat(s.Steps.Take(k + 1).Select(x => x + "\n")))]).ToArray();
            return new PrmExample(p.Problem, gold, p.Level, s.Text, labels);
        }).ToList();
        return (examples, tokens);
    }
}
