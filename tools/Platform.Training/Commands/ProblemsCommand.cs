using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Platform.Reasoning.Arithmetic;
using Platform.Training.Data;

namespace Platform.Training.Commands;

/// <summary>
/// <c>ttc-train problems</c>: training problems (never held-out ones) with their oracle steps, one JSON
/// line each, for trainers outside this tool (scripts/hf-models/train_arith.py trains a Hugging
/// Face-format model on them).
/// </summary>
public static class ProblemsCommand
{
    public static Command Create()
    {
        var count = new Option<int>("--count") { Required = true };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 5 };
        var heldout = new Option<string?>("--heldout") { Description = "JSONL of evaluation problems never written" };
        var output = new Option<FileInfo>("--out") { Required = true };
        var command = new Command("problems", "Write training problems with their oracle steps (JSONL: problem, answer, level, steps)");
        foreach (var o in new Option[] { count, seed, heldout, output })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            var stream = new ProblemStream(new ArithmeticSpec(), (ulong)parse.GetValue(seed) * 2_654_435_761UL + 17, ProblemStream.HeldOut(parse.GetValue(heldout)));
            var file = parse.GetValue(output)!;
            file.Directory?.Create();
            using var writer = new StreamWriter(file.FullName);
            for (var i = 0; i < parse.GetValue(count); i++)
            {
                var p = stream.Next();
                writer.WriteLine(JsonSerializer.Serialize(new
                {
                    problem = p.Problem,
                    answer = p.Answer.ToString(CultureInfo.InvariantCulture),
                    level = p.Level,
                    steps = p.Expression.Steps().Select(s => s.ToString()).ToArray(),
                }));
            }

            Console.WriteLine($"{parse.GetValue(count)} problems ({stream.Skipped} held-out ones skipped) -> {file.FullName}");
            return 0;
        });
        return command;
    }
}
