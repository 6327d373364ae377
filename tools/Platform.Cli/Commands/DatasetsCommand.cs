using System.CommandLine;
using System.Text.Json;
using Platform.Reasoning.Arithmetic;

namespace Platform.Cli.Commands;

/// <summary><c>ttc datasets arith</c>: deterministic step-by-step arithmetic problems.</summary>
public static class DatasetsCommand
{
    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "Number of problems", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed; the same seed and dials give the same file", Required = true };
        var ops = new Option<string>("--ops") { Description = "Operations per problem, a-b within 1-6", DefaultValueFactory = _ => "1-6" };
        var digits = new Option<string>("--digits") { Description = "Operand digits, a-b within 1-3", DefaultValueFactory = _ => "1-3" };
        var nesting = new Option<double>("--nesting") { Description = "Probability of a bracketed right operand", DefaultValueFactory = _ => 0.3 };
        var solutions = new Option<bool>("--solutions") { Description = "Also write the reference step-by-step solution" };
        var output = new Option<FileInfo>("--out") { Description = "Output JSONL file", Required = true };
        var exclude = new Option<FileInfo[]>("--exclude") { Description = "JSONL files whose problems must not appear (e.g. the held-out set, for a disjoint calibration set)", AllowMultipleArgumentsPerToken = true };

        var arith = new Command("arith", "Write arithmetic problems as JSONL lines {problem, answer, level, ...}");
        foreach (var option in new Option[] { count, seed, ops, digits, nesting, solutions, output, exclude })
        {
            arith.Options.Add(option);
        }

        arith.SetAction(parse =>
        {
            ArithmeticSpec spec;
            try
            {
                var (minOps, maxOps) = ParseRange(parse.GetValue(ops)!, "--ops");
                var (minDigits, maxDigits) = ParseRange(parse.GetValue(digits)!, "--digits");
                spec = new ArithmeticSpec
                {
                    MinOperations = minOps, MaxOperations = maxOps, MinDigits = minDigits, MaxDigits = maxDigits, Nesting = parse.GetValue(nesting),
                };
                spec.Validate();
                if (parse.GetValue(count) is < 1 or > 10_000_000)
                {
                    throw new ArgumentException("--count must be between 1 and 10000000");
                }
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            var excluded = new HashSet<string>(StringComparer.Ordinal);
            foreach (var other in parse.GetValue(exclude) ?? [])
            {
                if (!other.Exists)
                {
                    Console.Error.WriteLine($"error: --exclude: {other.FullName} does not exist");
                    return 2;
                }

                foreach (var line in File.ReadLines(other.FullName).Where(l => !string.IsNullOrWhiteSpace(l)))
                {
                    excluded.Add(JsonDocument.Parse(line).RootElement.GetProperty("problem").GetString()!);
                }
            }

            var file = parse.GetValue(output)!;
            file.Directory?.Create();
            using var writer = new StreamWriter(file.FullName);
            var generator = new ArithmeticGenerator(spec, parse.GetValue(seed));
            var withSolutions = parse.GetValue(solutions);
            var wanted = parse.GetValue(count);
            var skipped = 0;
            // Draw until enough problems are new; the same seed, dials and exclusions give the same file.
            for (var written = 0; written < wanted;)
            {
                var problem = generator.Next();
                if (excluded.Contains(problem.Problem))
                {
                    skipped++;
                    continue;
                }

                written++;
                writer.WriteLine(JsonSerializer.Serialize(new ArithmeticRecord(
                    problem.Problem, problem.Answer.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.Level,
                    problem.Digits, problem.Nested, withSolutions ? problem.Solution : null), ArithmeticRecord.Json));
            }

            Console.WriteLine($"wrote {wanted} problems to {file.FullName}" + (excluded.Count > 0 ? $" ({skipped} excluded problems skipped)" : ""));
            return 0;
        });

        var datasets = new Command("datasets", "Generate data sets");
        datasets.Subcommands.Add(arith);
        return datasets;
    }

    private static (int, int) ParseRange(string text, string name)
    {
        var parts = text.Split('-');
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, out _)))
        {
            var a = int.Parse(parts[0]);
            return (a, parts.Length == 2 ? int.Parse(parts[1]) : a);
        }

        throw new ArgumentException($"{name} must look like 2-5 or 3 (was '{text}')");
    }
}
