using System.CommandLine;
using System.Text.Json;
using Platform.Inference.Models;
using Platform.Training.Evaluation;

namespace Platform.Training.Commands;

/// <summary><c>ttc-train card</c>: write MODEL_CARD.md into a model folder from measured reports.</summary>
public static class CardCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Required = true };
        var eval = new Option<FileInfo?>("--eval") { Description = "Report from `evaluate --out`" };
        var revisions = new Option<FileInfo?>("--revisions") { Description = "For a revision model: report from `evaluate-revisions --out`" };
        var baseline = new Option<FileInfo?>("--baseline") { Description = "Report of the model to compare greedy accuracy with" };
        var reproduce = new Option<string>("--reproduce") { Description = "The command that made the model", Required = true };
        var heldout = new Option<string>("--heldout") { DefaultValueFactory = _ => "data/arith/heldout.jsonl" };
        var notes = new Option<FileInfo?>("--notes") { Description = "Markdown appended as a Notes section (what was tried, what is left)" };
        var command = new Command("card", "Write MODEL_CARD.md for a model folder");
        foreach (var o in new Option[] { model, eval, revisions, baseline, reproduce, heldout, notes })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            EvaluationReport Read(FileInfo f) => JsonSerializer.Deserialize<EvaluationReport>(File.ReadAllText(f.FullName), ModelManifest.Json)!;
            var directory = ModelDirectory.Load(parse.GetValue(model)!.FullName);
            string text;
            if (parse.GetValue(revisions) is { } revisionReport)
            {
                text = ModelCard.WriteRevision(directory, JsonSerializer.Deserialize<RevisionReport>(File.ReadAllText(revisionReport.FullName), ModelManifest.Json)!,
                    parse.GetValue(reproduce)!, parse.GetValue(heldout)!);
            }
            else if (parse.GetValue(eval) is { } report)
            {
                text = ModelCard.Write(directory, Read(report), parse.GetValue(baseline) is { } b ? Read(b) : null, parse.GetValue(reproduce)!, parse.GetValue(heldout)!);
            }
            else
            {
                Console.Error.WriteLine("error: give --eval (generators, verifiers) or --revisions (a revision model)");
                return 2;
            }
            if (parse.GetValue(notes) is { } extra)
            {
                text += Environment.NewLine + "## Notes" + Environment.NewLine + Environment.NewLine + File.ReadAllText(extra.FullName);
            }

            File.WriteAllText(Path.Combine(directory.Path, "MODEL_CARD.md"), text);
            Console.WriteLine(text);
            return 0;
        });
        return command;
    }
}
