using System.CommandLine;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;
using Platform.Training.Data;
using Platform.Training.Model;
using static TorchSharp.torch;

namespace Platform.Training.Commands;

/// <summary>
/// <c>ttc-train prm</c>: a verifier: a generator's backbone (weights copied from a generator run) with a
/// per-position score head, trained with binary cross-entropy at the token closing each step.
/// <c>--objective process</c> (a PRM) learns each step's label from <c>prm-data</c>;
/// <c>--objective outcome</c> (an ORM, as Cobbe et al. 2021) learns the whole solution's outcome at every
/// step, so its score at the last step is its verdict on the solution and earlier scores predict it.
/// </summary>
public static class TrainPrmCommand
{
    public static Command Create()
    {
        var data = new Option<FileInfo>("--data") { Description = "JSONL from prm-data", Required = true };
        var init = new Option<DirectoryInfo?>("--init") { Description = "Generator run whose backbone starts the PRM" };
        var size = new Option<string>("--size") { DefaultValueFactory = _ => "small" };
        var optimiser = new TrainOptions(learningRate: 5e-4, seed: 3);
        var objective = new Option<string>("--objective") { Description = "process (PRM: step labels) or outcome (ORM: final correctness)", DefaultValueFactory = _ => "process" };
        var output = new Option<DirectoryInfo>("--out") { Required = true };
        var command = new Command("prm", "Train a process (or outcome) reward model on labelled solutions");
        optimiser.AddTo(command, data, init, size, objective, output);

        command.SetAction(parse =>
        {
            var settings = optimiser.Read(parse) with { ValidateEvery = 500 };
            var outcome = parse.GetValue(objective) switch
            {
                "process" => false,
                "outcome" => true,
                var other => throw new ArgumentException($"--objective must be process or outcome (was '{other}')"),
            };
            set_num_threads(settings.Threads);
            manual_seed(settings.Seed);
            var config0 = GptConfig.Named(parse.GetValue(size)!, TaskText.Tokenizer.VocabularySize);
            var raw = PrmExample.ReadAll(parse.GetValue(data)!.FullName).ToList();
            var labelSource = string.Join("+", raw.Select(e => e.LabelSource).Distinct().Order());
            var all = raw.Select(e => Encode(e, outcome)).ToList();
            var examples = all.Where(e => e.Ids.Length <= config0.Context).ToList();
            if (examples.Count < all.Count)
            {
                Console.WriteLine($"skipped {all.Count - examples.Count} solutions longer than the context ({config0.Context} tokens)");
            }

            // Validation: the examples of every 20th problem.
            var problems = examples.Select(e => e.Problem).Distinct().ToList();
            var validationProblems = problems.Where((_, i) => i % 20 == 0).ToHashSet();
            var train = examples.Where(e => !validationProblems.Contains(e.Problem)).ToList();
            var validation = examples.Where(e => validationProblems.Contains(e.Problem)).OrderBy(e => e.Ids.Length).Chunk(64).ToList();

            var config = GptConfig.Named(parse.GetValue(size)!, TaskText.Tokenizer.VocabularySize) with { ScoreHead = true };
            using var model = new Gpt(config);
            string? initializedFrom = null;
            if (parse.GetValue(init) is { } initRun)
            {
                var source = new RunFolder(initRun);
                model.load(source.Weights, strict: false, skip: ["head.weight", "head.bias"]);
                initializedFrom = initRun.FullName;
            }

            var random = new Random(settings.Seed);
            var buckets = new LengthBuckets<Encoded>(() => train[random.Next(train.Count)], e => e.Ids.Length, settings.BatchSize, 64, settings.Seed);
            var kind = outcome ? "orm" : "prm";
            Console.WriteLine($"training {config.Parameters:N0}-parameter {kind.ToUpperInvariant()} on {train.Count} solutions ({validation.Sum(v => v.Length)} for validation), init {initializedFrom ?? "random"}");
            var run = new RunFolder(parse.GetValue(output)!);
            var summary = TrainingLoop.Run(model, settings, () => Batch(buckets.NextBatch()), Loss,
                () => validation.Average(chunk =>
                {
                    using var scope = NewDisposeScope();
                    return (double)Loss(model, Batch(chunk)).item<float>();
                }), run.Curve, Console.Out, step => run.SaveCheckpoint(model, step));
            run.Save(model, new RunInfo(kind, config, settings, summary, 0, null, initializedFrom, parse.GetValue(data)!.FullName)
            {
                Labels = outcome ? "outcome" : labelSource,
                Examples = train.Count,
            });
            return 0;
        });
        return command;
    }

    private sealed record Encoded(string Problem, int[] Ids, int[] Positions, float[] Labels);

    private static Encoded Encode(PrmExample e, bool outcome)
    {
        var (ids, start) = TaskText.Sequence(e.Problem, e.Solution, withEos: false);
        var ends = StepBoundaries.StepEnds(TaskText.Tokenizer, ids[start..], ArithmeticFormat.StepDelimiter.ToString());
        if (ends.Count != e.Labels.Length)
        {
            throw new InvalidDataException($"'{e.Problem}': {ends.Count} step ends but {e.Labels.Length} labels");
        }

        var labels = outcome ? e.Labels.Select(_ => (float)e.Outcome).ToArray() : e.Labels.Select(l => (float)l).ToArray();
        return new Encoded(e.Problem, ids, ends.Select(x => start + x).ToArray(), labels);
    }

    private static TrainBatch Batch(IReadOnlyList<Encoded> rows)
    {
        var width = rows.Max(r => r.Ids.Length);
        var target = new float[rows.Count * width];
        var weight = new float[rows.Count * width];
        for (var r = 0; r < rows.Count; r++)
        {
            for (var k = 0; k < rows[r].Positions.Length; k++)
            {
                target[r * width + rows[r].Positions[k]] = rows[r].Labels[k];
                weight[r * width + rows[r].Positions[k]] = 1;
            }
        }

        return new TrainBatch(Tensors.Padded(rows.Select(r => r.Ids).ToList(), TaskText.Tokenizer.PadId, width),
            Tensors.Floats(target, [rows.Count, width]), Tensors.Floats(weight, [rows.Count, width]), rows.Sum(r => (long)r.Ids.Length));
    }

    private static Tensor Loss(Gpt model, TrainBatch batch)
    {
        var scores = model.Forward(batch.Input);
        var total = nn.functional.binary_cross_entropy_with_logits(scores, batch.Target, batch.Weight, reduction: nn.Reduction.Sum);
        return total / batch.Weight!.sum();
    }
}
