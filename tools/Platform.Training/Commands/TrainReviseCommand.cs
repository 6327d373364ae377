using System.CommandLine;
using Platform.Reasoning.Revisions;
using Platform.Training.Data;
using Platform.Training.Model;
using static TorchSharp.torch;

namespace Platform.Training.Commands;

/// <summary>
/// <c>ttc-train revise</c>: train the revision model (gen-small's shape with a context long enough for four
/// earlier attempts) on trajectories drawn afresh every batch from <c>revise-data</c> records; loss on the
/// new attempt only. Starting from a generator run copies its weights (positions past its context start
/// fresh), so the model begins able to solve and learns to revise.
/// </summary>
public static class TrainReviseCommand
{
    public static Command Create()
    {
        var data = new Option<FileInfo>("--data") { Required = true };
        var init = new Option<DirectoryInfo?>("--init") { Description = "Generator run whose weights start the model" };
        var size = new Option<string>("--size") { DefaultValueFactory = _ => "small" };
        var context = new Option<int>("--context") { Description = "Context length in tokens", DefaultValueFactory = _ => 512 };
        var attempts = new Option<int>("--attempts") { Description = "Earlier attempts in context at most", DefaultValueFactory = _ => RevisionFormat.DefaultMaxAttempts };
        var optimiser = new TrainOptions(learningRate: 5e-4, seed: 7);
        var keep = new Option<double>("--keep-share") { Description = "Share of trajectories that end in a right attempt whose target is itself", DefaultValueFactory = _ => 0.15 };
        var output = new Option<DirectoryInfo>("--out") { Required = true };
        var command = new Command("revise", "Train a revision model on trajectories of the generator's own attempts");
        optimiser.AddTo(command, data, init, size, context, attempts, keep, output);

        command.SetAction(parse =>
        {
            var settings = optimiser.Read(parse);
            set_num_threads(settings.Threads);
            manual_seed(settings.Seed);
            var records = RevisionRecord.ReadAll(parse.GetValue(data)!.FullName).ToList();

            // Validation: every 20th problem's record, trajectories fixed by their own seed.
            var train = records.Where((_, i) => i % 20 != 0).ToList();
            var contextTokens = parse.GetValue(context);
            var builder = new RevisionTrajectories(parse.GetValue(attempts), maxAttemptChars: 120, keepShare: parse.GetValue(keep));
            var validationRandom = new Random(settings.Seed + 1);
            var validation = records.Where((_, i) => i % 20 == 0)
                .Select(r => builder.Build(r, validationRandom)).OfType<RevisionTrajectory>().Take(1024)
                .Select(t => builder.Encode(t, contextTokens)).OrderBy(x => x.Ids.Length).Chunk(64).ToList();

            var config = GptConfig.Named(parse.GetValue(size)!, TaskText.Tokenizer.VocabularySize) with { Context = contextTokens };
            using var model = new Gpt(config);
            string? initializedFrom = null;
            if (parse.GetValue(init) is { } initRun)
            {
                using var source = new RunFolder(initRun).Load();
                CopyWeights(source, model);
                initializedFrom = initRun.FullName;
            }

            var random = new Random(settings.Seed);
            var buckets = new LengthBuckets<(int[] Ids, int Start)>(() =>
            {
                while (true)
                {
                    if (builder.Build(train[random.Next(train.Count)], random) is { } t)
                    {
                        return builder.Encode(t, contextTokens);
                    }
                }
            }, x => x.Ids.Length, settings.BatchSize, poolBatches: 64, seed: settings.Seed);

            var run = new RunFolder(parse.GetValue(output)!);
            run.SaveConfig(config);
            Console.WriteLine($"training {config.Parameters:N0}-parameter revision model (context {contextTokens}) on {train.Count} problems' samples, init {initializedFrom ?? "random"}");
            var summary = TrainingLoop.Run(model, settings, () => TrainGeneratorCommand.LmBatch(buckets.NextBatch()), TrainGeneratorCommand.LmLoss,
                () => validation.Average(chunk =>
                {
                    using var scope = NewDisposeScope();
                    return (double)TrainGeneratorCommand.LmLoss(model, TrainGeneratorCommand.LmBatch(chunk)).item<float>();
                }), run.Curve, Console.Out, step => run.SaveCheckpoint(model, step));
            run.Save(model, new RunInfo("revision", config, settings, summary, 0, null, initializedFrom, parse.GetValue(data)!.FullName) { Examples = train.Count, RevisionAttempts = parse.GetValue(attempts), KeepShare = parse.GetValue(keep) });
            return 0;
        });
        return command;
    }

    /// <summary>Copies every parameter of the same shape; a shorter position table fills the first rows.</summary>
    public static void CopyWeights(Gpt source, Gpt target)
    {
        using var _ = no_grad();
        var from = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in target.named_parameters())
        {
            if (!from.TryGetValue(name, out var s))
            {
                throw new InvalidOperationException($"the initial run has no parameter '{name}'");
            }

            if (s.shape.SequenceEqual(p.shape))
            {
                p.copy_(s);
            }
            else if (name == "pos_emb.weight" && s.shape[1] == p.shape[1] && s.shape[0] < p.shape[0])
            {
                p[TensorIndex.Slice(0, s.shape[0])].copy_(s);
            }
            else
            {
                throw new InvalidOperationException($"parameter '{name}' has shape [{string.Join(", ", s.shape)}] in the initial run, [{string.Join(", ", p.shape)}] here");
            }
        }
    }
}
