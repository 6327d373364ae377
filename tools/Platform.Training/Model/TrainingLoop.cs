using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Training.Model;

public sealed record TrainSettings
{
    public int Steps { get; init; }
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;
    public int WarmupSteps { get; init; } = 200;

    /// <summary>The cosine schedule ends at this fraction of the peak rate.</summary>
    public double FinalLearningRateRatio { get; init; } = 0.1;

    public double WeightDecay { get; init; } = 0.01;
    public int Threads { get; init; } = 2;
    public int Seed { get; init; } = 1;
    public int LogEvery { get; init; } = 100;
    public int ValidateEvery { get; init; } = 1000;

    /// <summary>Stop after this many steps (0: run all <see cref="Steps"/>); the schedule is still that of <see cref="Steps"/>.</summary>
    public int StopAfter { get; init; }

    /// <summary>Save the weights every this many steps (0: only at the end).</summary>
    public int CheckpointEvery { get; init; }
}

/// <summary>One training batch: model input, targets, optional per-position weights, and how many real tokens it holds.</summary>
public sealed record TrainBatch(Tensor Input, Tensor Target, Tensor? Weight, long Tokens);

public sealed record TrainingSummary(int Steps, long Tokens, double WallSeconds, double FinalLoss, double? FinalValidationLoss);

/// <summary>AdamW (0.9, 0.98), gradient clipping at 1.0, linear warm-up then cosine decay; logs a curve as JSON lines.</summary>
public static class TrainingLoop
{
    public static TrainingSummary Run(
        Gpt model,
        TrainSettings s,
        Func<TrainBatch> nextBatch,
        Func<Gpt, TrainBatch, Tensor> loss,
        Func<double>? validate,
        string curvePath,
        TextWriter log,
        Action<int>? checkpoint = null)
    {
        var optimizer = optim.AdamW(model.parameters(), s.LearningRate, 0.9, 0.98, 1e-8, s.WeightDecay);
        using var curve = new StreamWriter(curvePath);
        var clock = Stopwatch.StartNew();
        long tokens = 0, tokensSinceLog = 0;
        var lossSum = 0.0;
        var lossCount = 0;
        double lastLoss = double.NaN;
        double? lastValidation = null;
        var sinceLog = Stopwatch.StartNew();
        model.train();
        var last = s.StopAfter > 0 ? Math.Min(s.StopAfter, s.Steps) : s.Steps;
        for (var step = 1; step <= last; step++)
        {
            using var scope = NewDisposeScope();
            var lr = LearningRate(s, step);
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = lr;
            }

            var batch = nextBatch();
            var value = loss(model, batch);
            optimizer.zero_grad();
            value.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            optimizer.step();

            var v = value.item<float>();
            if (!float.IsFinite(v))
            {
                throw new InvalidOperationException($"loss became {v} at step {step}");
            }

            lossSum += v;
            lossCount++;
            tokens += batch.Tokens;
            tokensSinceLog += batch.Tokens;

            var validateNow = validate is not null && (step % s.ValidateEvery == 0 || step == last);
            if (step % s.LogEvery == 0 || step == last || validateNow)
            {
                if (validateNow)
                {
                    model.eval();
                    using (no_grad())
                    {
                        lastValidation = validate!();
                    }

                    model.train();
                }

                lastLoss = lossSum / lossCount;
                var rate = tokensSinceLog / Math.Max(sinceLog.Elapsed.TotalSeconds, 1e-9);
                var point = new Dictionary<string, object?>
                {
                    ["step"] = step, ["tokens"] = tokens, ["loss"] = Math.Round(lastLoss, 5), ["lr"] = lr,
                    ["tokens_per_s"] = Math.Round(rate), ["elapsed_s"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
                };
                if (validateNow)
                {
                    point["val_loss"] = Math.Round(lastValidation!.Value, 5);
                }

                curve.WriteLine(JsonSerializer.Serialize(point));
                curve.Flush();
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"step {step}/{s.Steps} loss {lastLoss:F4}{(validateNow ? $" val {lastValidation:F4}" : "")} lr {lr:E2} {rate:F0} tok/s {clock.Elapsed.TotalMinutes:F1} min"));
                lossSum = 0;
                lossCount = 0;
                tokensSinceLog = 0;
                sinceLog.Restart();
            }

            if (checkpoint is not null && s.CheckpointEvery > 0 && step % s.CheckpointEvery == 0 && step < last)
            {
                checkpoint(step);
            }
        }

        model.eval();
        return new TrainingSummary(last, tokens, clock.Elapsed.TotalSeconds, lastLoss, lastValidation);
    }

    public static double LearningRate(TrainSettings s, int step)
    {
        if (step <= s.WarmupSteps)
        {
            return s.LearningRate * step / Math.Max(1, s.WarmupSteps);
        }

        var progress = (double)(step - s.WarmupSteps) / Math.Max(1, s.Steps - s.WarmupSteps);
        var cosine = 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1.0, progress)));
        return s.LearningRate * (s.FinalLearningRateRatio + (1 - s.FinalLearningRateRatio) * cosine);
    }
}
