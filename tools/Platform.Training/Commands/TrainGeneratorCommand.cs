using System.CommandLine;
using System.Text.Json;
using Platform.Reasoning.Arithmetic;
using Platform.Training.Data;
using Platform.Training.Model;
using static TorchSharp.torch;

namespace Platform.Training.Commands;

/// <summary><c>ttc-train gen</c>: train a generator (small or large) on step-by-step arithmetic.</summary>
public static class TrainGeneratorCommand
{
    public static Command Create()
    {
        var size = new Option<string>("--size") { Description = "small or large", Required = true };
        var optimiser = new TrainOptions(learningRate: 1e-3, seed: 1);
        var heldout = new Option<string?>("--heldout") { Description = "JSONL of evaluation problems never trained on" };
        var output = new Option<DirectoryInfo>("--out") { Required = true };

        var command = new Command("gen", "Train a generator with loss on solution tokens only");
        optimiser.AddTo(command, size, heldout, output);

        command.SetAction(parse =>
        {
            var settings = optimiser.Read(parse);
            var run = new RunFolder(parse.GetValue(output)!);
            var config = GptConfig.Named(parse.GetValue(size)!, TaskText.Tokenizer.VocabularySize);
            Run(config, settings, parse.GetValue(heldout), run);
            return 0;
        });
        return command;
    }

    public static TrainingSummary Run(GptConfig config, TrainSettings settings, string? heldoutPath, RunFolder run)
    {
        set_num_threads(settings.Threads);
        manual_seed(settings.Seed);
        var excluded = ProblemStream.HeldOut(heldoutPath);
        var spec = new ArithmeticSpec();
        var stream = new ProblemStream(spec, (ulong)settings.Seed * 1_000_003UL + 11, excluded);
        var buckets = new LengthBuckets<(int[] Ids, int Start)>(
            () => { var p = stream.Next(); return TaskText.Sequence(p.Problem, p.Solution); },
            x => x.Ids.Length, settings.BatchSize, poolBatches: 64, seed: settings.Seed);

        // A fixed validation set from its own seed (not the held-out evaluation set).
        var validationStream = new ProblemStream(spec, (ulong)settings.Seed * 7_919UL + 5, excluded);
        var validation = Enumerable.Range(0, 512).Select(_ => { var p = validationStream.Next(); return TaskText.Sequence(p.Problem, p.Solution); })
            .OrderBy(x => x.Ids.Length).Chunk(64).ToList();

        using var model = new Gpt(config);
        run.SaveConfig(config);
        Console.WriteLine($"training {config.Parameters:N0}-parameter generator ({config.Layers} layers, d={config.DModel}) for {settings.Steps} steps");
        var summary = TrainingLoop.Run(
            model, settings,
            () => LmBatch(buckets.NextBatch()),
            LmLoss,
            () => validation.Average(chunk =>
            {
                using var scope = NewDisposeScope();
                return (double)LmLoss(model, LmBatch(chunk)).item<float>();
            }),
            run.Curve, Console.Out, step => run.SaveCheckpoint(model, step));

        run.Save(model, new RunInfo("generator", config, settings, summary, stream.Skipped, heldoutPath));
        return summary;
    }

    public static TrainBatch LmBatch(IReadOnlyList<(int[] Ids, int Start)> rows)
    {
        var inputs = rows.Select(r => r.Ids[..^1]).ToList();
        var targets = rows.Select(r =>
        {
            var t = r.Ids[1..];
            for (var j = 0; j < r.Start - 1; j++)
            {
                t[j] = -100; // prompt tokens carry no loss
            }

            return t;
        }).ToList();
        return new TrainBatch(Tensors.Padded(inputs, TaskText.Tokenizer.PadId), Tensors.Padded(targets, -100), null, inputs.Sum(i => (long)i.Length));
    }

    public static Tensor LmLoss(Gpt model, TrainBatch batch)
    {
        var logits = model.Forward(batch.Input);
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), batch.Target.reshape(-1), ignore_index: -100);
    }
}
