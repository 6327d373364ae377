using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Reasoning.Answers;

namespace Platform.Cli.Commands;

/// <summary><c>ttc grade</c>: is a predicted answer equivalent to the reference?</summary>
public static class GradeCommand
{
    public static Command Create()
    {
        var gold = new Option<string?>("--gold") { Description = "Reference answer (or a solution holding one)" };
        var pred = new Option<string?>("--pred") { Description = "Predicted answer (or a solution holding one)" };
        var cases = new Option<FileInfo?>("--cases") { Description = "JSONL lines {\"gold\": ..., \"pred\": ...}; writes each line back with \"equivalent\"" };
        var explain = new Option<bool>("--explain") { Description = "Print both normalised forms and the rule that decided" };
        var report = new Option<bool>("--report") { Description = "With --cases whose lines carry \"expected\" (and \"category\"): print precision and recall per category instead of the lines" };
        var command = new Command("grade", "Exit 0 when --pred is equivalent to --gold, 1 when not; or grade a file of cases");
        command.Options.Add(gold);
        command.Options.Add(pred);
        command.Options.Add(cases);
        command.Options.Add(explain);
        command.Options.Add(report);
        command.SetAction(parse =>
        {
            if (parse.GetValue(cases) is { } file)
            {
                var line = 0;
                var bad = 0;
                var summary = parse.GetValue(report) ? new Platform.Reasoning.Answers.Grading.GradingReport() : null;
                using var output = new StreamWriter(Console.OpenStandardOutput(), bufferSize: 1 << 16);
                foreach (var text in File.ReadLines(file.FullName))
                {
                    line++;
                    if (string.IsNullOrWhiteSpace(text))
                    {
                        continue;
                    }

                    try
                    {
                        var node = JsonNode.Parse(text)!.AsObject();
                        var verdict = Verdict(Field(node, "gold"), Field(node, "pred"));
                        node["equivalent"] = verdict?.Equivalent ?? false;
                        if (parse.GetValue(explain) && verdict is not null)
                        {
                            node["gold_form"] = verdict.Gold;
                            node["pred_form"] = verdict.Predicted;
                            node["rule"] = verdict.Rule;
                        }

                        if (summary is not null)
                        {
                            var expected = node["expected"]?.GetValue<bool>() ?? throw new FormatException("--report needs \"expected\" on every line");
                            summary.Add(node["category"]?.GetValue<string>() ?? "all", expected, verdict?.Equivalent ?? false);
                        }
                        else
                        {
                            output.WriteLine(node.ToJsonString());
                        }
                    }
                    catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
                    {
                        bad++;
                        Console.Error.WriteLine($"{file.Name}: line {line}: {e.Message}");
                    }
                }

                if (summary is not null)
                {
                    output.Write(summary.Markdown());
                }

                return bad == 0 ? 0 : 2;
            }

            if (parse.GetValue(gold) is not { } g || parse.GetValue(pred) is not { } p)
            {
                Console.Error.WriteLine("error: give --gold and --pred, or --cases FILE");
                return 2;
            }

            var result = Verdict(g, p)!;
            if (parse.GetValue(explain))
            {
                Console.WriteLine($"gold:      {result.Gold}");
                Console.WriteLine($"predicted: {result.Predicted}");
                Console.WriteLine($"rule:      {result.Rule}");
                Console.WriteLine(result.Equivalent ? "equivalent" : "not equivalent");
            }

            return result.Equivalent ? 0 : 1;
        });
        return command;
    }

    private static string? Field(JsonObject node, string name) => node[name] switch
    {
        null => throw new FormatException($"missing field '{name}'"),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        _ => throw new FormatException($"field '{name}' must be a string or a number"),
    };

    /// <summary>
    /// Extracts an answer first when the text holds one (\boxed, ####, A:, a final-answer phrase, the last
    /// math expression; docs/grading.md); null when either side is missing. The verdict's rule names the
    /// extraction rule of each side that needed one.
    /// </summary>
    public static Platform.Reasoning.Answers.Grading.GradeVerdict? Verdict(string? gold, string? pred)
    {
        if (gold is null || pred is null)
        {
            return null;
        }

        var g = AnswerExtractor.Find(gold);
        var p = AnswerExtractor.Find(pred);
        var verdict = AnswerEquivalence.Explain(g?.Answer ?? gold, p?.Answer ?? pred);
        var taken = string.Join("; ", new[] { ("gold", g), ("predicted", p) }.Where(x => x.Item2 is not null).Select(x => $"{x.Item1} answer by {x.Item2!.Rule}"));
        return taken.Length == 0 ? verdict : verdict with { Rule = $"{verdict.Rule} ({taken})" };
    }

    public static bool Grade(string? gold, string? pred) => Verdict(gold, pred)?.Equivalent ?? false;
}
