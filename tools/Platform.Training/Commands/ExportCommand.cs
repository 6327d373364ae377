using System.CommandLine;
using System.Text.Json;
using Platform.Training.Data;
using Platform.Training.Model;
using Platform.Training.Onnx;

namespace Platform.Training.Commands;

/// <summary><c>ttc-train export</c>: write a trained run as an ONNX model folder and check parity.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo>("--run") { Description = "Training run folder", Required = true };
        var name = new Option<string>("--name") { Description = "Model name (gen-small, gen-large, prm)", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Model folder to write", Required = true };
        var step = new Option<int?>("--checkpoint") { Description = "Export the weights saved at this step instead of the final ones" };
        var generative = new Option<bool>("--generative-verifier") { Description = "Export a generator as a generative verifier (kind prm: a step scores the probability the model gives it)" };
        var revision = new Option<int?>("--revision-attempts") { Description = "Export as a revision model reading this many earlier attempts (default: from the run, when it trained one)" };
        var command = new Command("export", "Export a run to ONNX (model.onnx + model.json) and check ONNX Runtime against TorchSharp");
        command.Options.Add(run);
        command.Options.Add(name);
        command.Options.Add(output);
        command.Options.Add(step);
        command.Options.Add(generative);
        command.Options.Add(revision);
        command.SetAction(parse =>
        {
            var folder = new RunFolder(parse.GetValue(run)!);
            using var model = folder.Load(parse.GetValue(step));
            var target = parse.GetValue(output)!.FullName;
            // A run still training has no run.json yet: its checkpoints export without provenance (for a look, not to ship).
            var info = File.Exists(folder.InfoPath) ? folder.Info : null;
            var provenance = new Dictionary<string, JsonElement>();
            if (info is not null)
            {
                provenance["run"] = JsonSerializer.SerializeToElement(info, RunFolder.Json);
            }

            if (parse.GetValue(step) is { } checkpoint)
            {
                provenance["checkpoint_step"] = JsonSerializer.SerializeToElement(checkpoint);
            }
            var kind = info?.Kind is "prm" or "orm" ? info.Kind : parse.GetValue(generative) ? "prm" : null;
            var manifest = ModelExport.Write(model, parse.GetValue(name)!, target, provenance, kind, parse.GetValue(revision) ?? (info?.Kind == "revision" ? info.RevisionAttempts ?? 4 : null));
            var (full, incremental) = Check(model, Path.Combine(target, "model.onnx"));
            Console.WriteLine($"exported {manifest.Name}: {manifest.Parameters:N0} parameters, {new FileInfo(Path.Combine(target, "model.onnx")).Length / 1e6:F1} MB; " +
                $"parity max |Δ| full-sequence {full:E2}{(incremental is { } inc ? $", prefill + 8 cached steps {inc:E2}" : "")}");
            return full <= 1e-4 && (incremental ?? 0) <= 1e-4 ? 0 : 1;
        });
        return command;
    }

    /// <summary>Parity on fixed inputs: a left-padded batch of four, and (for generators) a prefill plus 8 cached steps.</summary>
    public static (double Full, double? Incremental) Check(Gpt model, string onnxPath)
    {
        var tokenizer = TaskText.Tokenizer;
        int[][] batch =
        [
            [.. TaskText.PromptIds("(37+48)*3-19"), .. tokenizer.Encode("37+48=85\n85*3=255\n")],
            [.. TaskText.PromptIds("5-3")],
            [.. TaskText.PromptIds("715-(511+11)+409"), .. tokenizer.Encode("511+11=522\n")],
            [.. TaskText.PromptIds("2*9")],
        ];
        if (model.Config.Context > 256)
        {
            // A long-context model (the revision model) is also checked past the 128 positions of the others.
            string[] attempts = ["37+48=85\n85*3=255\n255-19=236\nA: 236\n", "37+48=84\n84*3=252\n252-19=233\nA: 233\n", "37+48=85\n85*3=245\n245-19=226\nA: 226\n",
                "37+48=85\n85*3=255\n255-19=234\nA: 234\n"];
            batch = [.. batch, [.. TaskText.PromptIds("(37+48)*3-19"), .. tokenizer.Encode(Reasoning.Revisions.RevisionFormat.Context(attempts) + "37+48=85\n")]];
        }

        var full = Parity.FullSequence(model, onnxPath, batch);
        double? incremental = model.Config.ScoreHead ? null
            : Parity.Incremental(model, onnxPath, TaskText.PromptIds("(37+48)*3-19"), tokenizer.Encode("37+48=85"));
        return (full, incremental);
    }
}
