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
/// <c>ttc-train prm-data</c>: verifier training data. For training problems (never held-out ones) sample
/// solutions from the generator, optionally add reference prefixes with one corrupted step, and label
/// every step from one of two sources:
/// <list type="bullet">
/// <item><c>rollouts</c> (Math-Shepherd): the fraction of K temperature rollouts from the prefix ending at
/// that step that reach the reference answer; an answer line is labelled by its own correctness.</item>
/// <item><c>checker</c>: the exact step checker (<see cref="StepChecker"/>): 1 while every step so far is
/// the right operation with true arithmetic, 0 from the first wrong step on.</item>
/// </list>
/// Every example also carries its outcome (does it end in the right answer), which an outcome reward
/// model trains on.
/// </summary>
public static class PrmDataCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Generator whose solutions are labelled", Required = true };
        var labels = new Option<string>("--labels") { Description = "rollouts (Monte-Carlo, Math-Shepherd) or checker (exact step checker)", DefaultValueFactory = _ => "rollouts" };
        var completer = new Option<DirectoryInfo?>("--completer") { Description = "Model that performs the rollouts (default: --model)" };
        var problems = new Option<int>("--problems") { Required = true };
        var samples = new Option<int>("--samples") { DefaultValueFactory = _ => 4 };
        var rollouts = new Option<int>("--rollouts") { DefaultValueFactory = _ => 8 };
        var corrupt = new Option<double>("--corrupt") { Description = "Per problem, this many reference prefixes with one corrupted step (fractional: a probability)", DefaultValueFactory = _ => 0 };
        var temperature = new Option<double>("--temperature") { DefaultValueFactory = _ => Platform.Reasoning.Planning.DefaultPolicy.SamplingTemperature };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 2 };
        var heldout = new Option<string?>("--heldout");
        var output = new Option<FileInfo>("--out") { Required = true };
        var command = new Command("prm-data", "Sample solutions and label every step (Monte-Carlo rollouts or the exact step checker)");
        foreach (var o in new Option[] { model, labels, completer, problems, samples, rollouts, corrupt, temperature, seed, heldout, output })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            var source = parse.GetValue(labels)!;
            if (source is not ("rollouts" or "checker"))
            {
                Console.Error.WriteLine($"--labels must be rollouts or checker (was '{source}')");
                return 2;
            }

            using var generator = DecoderSession.Open(ModelDirectory.Load(parse.GetValue(model)!.FullName), new InferenceOptions());
            using var rollout = parse.GetValue(completer) is { } c ? DecoderSession.Open(ModelDirectory.Load(c.FullName), new InferenceOptions()) : null;
            var stream = new ProblemStream(new ArithmeticSpec(), (ulong)parse.GetValue(seed) * 2_654_435_761UL + 3, ProblemStream.HeldOut(parse.GetValue(heldout)));
            var random = new Random(parse.GetValue(seed));
            var file = parse.GetValue(output)!;
            file.Directory?.Create();
            using var writer = new StreamWriter(file.FullName);
            var clock = Stopwatch.StartNew();
            long tokens = 0, examples = 0;
            var total = parse.GetValue(problems);
            const int chunk = 16;
            for (var done = 0; done < total; done += chunk)
            {
                var part = Enumerable.Range(0, Math.Min(chunk, total - done)).Select(_ => stream.Next()).ToList();
                var chunkSeed = (ulong)parse.GetValue(seed) * 7_777UL + (ulong)done;
                var (solutions, generated) = Sample(generator, part, parse.GetValue(samples), parse.GetValue(temperature), chunkSeed);
                solutions.AddRange(Corruptions(part, parse.GetValue(corrupt), random));
                var (labelled, rolloutTokens) = source == "checker"
                    ? (CheckerLabels(part, solutions), 0L)
                    : RolloutLabels(rollout ?? generator, part, solutions, parse.GetValue(rollouts), parse.GetValue(temperature), chunkSeed);
                tokens += generated + rolloutTokens;
                foreach (var e in labelled)
                {
                    writer.WriteLine(JsonSerializer.Serialize(e, ArithmeticRecord.Json));
                    examples++;
                }

                Console.Error.Write($"\r{done + part.Count}/{total} problems, {tokens:N0} tokens, {clock.Elapsed.TotalMinutes:F1} min");
            }

            Console.Error.WriteLine();
            Console.WriteLine($"labelled ({source}) {examples} solutions of {total} problems with {tokens:N0} generated tokens in {clock.Elapsed.TotalMinutes:F1} min (held-out problems skipped: {stream.Skipped})");
            return 0;
        });
        return command;
    }

    /// <summary>A solution to label: which problem of the chunk, its text, and where it came from.</summary>
    public sealed record Unlabelled(int Problem, string Text, string Origin);

    public static (List<Unlabelled> Solutions, long GeneratedTokens) Sample(DecoderSession generator, IReadOnlyList<ArithmeticProblem> problems,
        int samples, double temperature, ulong seed)
    {
        var sampled = generator.Generate(problems.Select((p, i) => new GenerationRequest
        {
            Prompt = ArithmeticFormat.Prompt(p.Problem), Samples = samples,
            Sampling = new SamplingOptions { Temperature = temperature, Seed = seed + (ulong)i * 31 },
        }).ToList());
        var solutions = sampled.SelectMany((r, i) => r.Samples.Select(s => new Unlabelled(i, s.Text, "sample"))).ToList();
        return (solutions, sampled.Sum(r => r.Usage.GeneratedTokens));
    }

    /// <summary>Reference prefixes ending in one corrupted step (kinds in turn, step chosen at random).</summary>
    public static IEnumerable<Unlabelled> Corruptions(IReadOnlyList<ArithmeticProblem> problems, double perProblem, Random random)
    {
        for (var i = 0; i < problems.Count; i++)
        {
            var count = (int)Math.Floor(perProblem) + (random.NextDouble() < perProblem - Math.Floor(perProblem) ? 1 : 0);
            var steps = problems[i].Expression.Steps();
            for (var k = 0; k < count; k++)
            {
                var index = random.Next(steps.Count);
                var kind = StepCorruption.Kinds[random.Next(StepCorruption.Kinds.Count)];
                var wrong = StepCorruption.Corrupt(steps[index], kind, random);
                yield return new Unlabelled(i, StepCorruption.Prefix(problems[i].Expression, index, wrong), $"corrupted:{kind}");
            }
        }
    }

    public static List<PrmExample> CheckerLabels(IReadOnlyList<ArithmeticProblem> problems, IReadOnlyList<Unlabelled> solutions) =>
        solutions.Select(s =>
        {
            var p = problems[s.Problem];
            var verdicts = StepChecker.Check(p.Problem, s.Text);
            return Example(p, s, verdicts.Select(v => v.Correct ? 1.0 : 0.0).ToArray(), "checker");
        }).ToList();

    public static (List<PrmExample> Examples, long GeneratedTokens) RolloutLabels(DecoderSession completer, IReadOnlyList<ArithmeticProblem> problems,
        IReadOnlyList<Unlabelled> solutions, int rollouts, double temperature, ulong seed)
    {
        long tokens = 0;

        // Every distinct (problem, prefix) is rolled out once.
        var prefixes = new Dictionary<(int Problem, string Prefix), double>();
        foreach (var s in solutions)
        {
            var steps = ArithmeticFormat.SplitSteps(s.Text);
            for (var k = 0; k < steps.Count; k++)
            {
                if (!steps[k].StartsWith("A:", StringComparison.Ordinal))
                {
                    prefixes.TryAdd((s.Problem, Join(steps, k + 1)), 0);
                }
            }
        }

        var keys = prefixes.Keys.ToList();
        for (var start = 0; start < keys.Count; start += 64)
        {
            var batch = keys.Skip(start).Take(64).ToList();
            var results = completer.Generate(batch.Select((key, j) => new GenerationRequest
            {
                Prompt = ArithmeticFormat.Prompt(problems[key.Problem].Problem) + key.Prefix, Samples = rollouts,
                Sampling = new SamplingOptions { Temperature = temperature, Seed = seed * 13 + (ulong)(start + j) },
            }).ToList());
            for (var j = 0; j < batch.Count; j++)
            {
                var gold = Gold(problems[batch[j].Problem]);
                prefixes[batch[j]] = results[j].Samples.Count(x => ArithmeticFormat.ExtractAnswer(x.Text) == gold) / (double)rollouts;
                tokens += results[j].Usage.GeneratedTokens;
            }
        }

        var examples = solutions.Select(s =>
        {
            var p = problems[s.Problem];
            var steps = ArithmeticFormat.SplitSteps(s.Text);
            var labels = steps.Select((step, k) => step.StartsWith("A:", StringComparison.Ordinal)
                ? (ArithmeticFormat.ExtractAnswer(step) == Gold(p) ? 1.0 : 0.0)
                : prefixes[(s.Problem, Join(steps, k + 1))]).ToArray();
            return Example(p, s, labels, "rollouts");
        }).ToList();
        return (examples, tokens);
    }

    private static PrmExample Example(ArithmeticProblem p, Unlabelled s, double[] labels, string source) =>
        new(p.Problem, Gold(p), p.Level, s.Text, labels)
        {
            LabelSource = source,
            Outcome = ArithmeticFormat.ExtractAnswer(s.Text) == Gold(p) ? 1 : 0,
            Origin = s.Origin,
        };

    private static string Gold(ArithmeticProblem p) => p.Answer.ToString(CultureInfo.InvariantCulture);

    private static string Join(IReadOnlyList<string> steps, int count) => string.Concat(steps.Take(count).Select(x => x + ArithmeticFormat.StepDelimiter));
}
