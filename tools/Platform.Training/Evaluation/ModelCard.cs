using System.Globalization;
using System.Text;
using System.Text.Json;
using Platform.Inference.Models;
using Platform.Training.Model;

namespace Platform.Training.Evaluation;

/// <summary>Writes MODEL_CARD.md from the manifest (which carries the training run) and measured reports.</summary>
public static class ModelCard
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Write(ModelDirectory model, EvaluationReport report, EvaluationReport? baseline, string command, string heldout)
    {
        var m = model.Manifest;
        var run = m.Training?.TryGetValue("run", out var r) == true ? r.Deserialize<RunInfo>(RunFolder.Json) : null;
        var a = m.Architecture;
        var sb = new StringBuilder();
        sb.AppendLine($"# {m.Name}");
        sb.AppendLine();
        sb.AppendLine(m.Kind == "prm"
            ? "A process reward model for the step-by-step arithmetic task: the generator's backbone with a per-position score head, trained on Monte-Carlo step labels (Math-Shepherd)."
            : "A character-level decoder for the step-by-step arithmetic task (one operation per line, final line `A: <value>`).");
        sb.AppendLine();
        sb.AppendLine("## Model");
        sb.AppendLine();
        sb.AppendLine($"- {a.Type}: {a.Layers} layers, d_model {a.DModel}, {a.Heads} heads of {a.HeadDim}, FFN {a.DFf}, context {a.Context}, vocabulary {a.VocabSize} characters");
        sb.AppendLine(string.Create(Inv, $"- {m.Parameters:N0} parameters; {m.FlopsPerToken:N0} FLOPs per token + {m.AttentionFlopsPerPosition:N0} per attended position"));
        sb.AppendLine(string.Create(Inv, $"- `model.onnx`: {new FileInfo(model.OnnxPath).Length / 1e6:F1} MB, opset {m.Onnx.Opset}, sha256 `{m.Onnx.Sha256}`"));
        if (m.Verifier is { } v)
        {
            sb.AppendLine($"- step scores: output `{v.Output}` (probabilities), read at the token that closes each step (`\\n`), an unfinished last step at its last token");
        }

        sb.AppendLine();
        sb.AppendLine("## Training");
        sb.AppendLine();
        if (run is not null)
        {
            var s = run.Settings;
            sb.AppendLine(string.Create(Inv, $"- {run.Summary.Steps} steps of batch {s.BatchSize}, AdamW (0.9, 0.98, weight decay {s.WeightDecay}), peak learning rate {s.LearningRate}, {s.WarmupSteps} warm-up steps then cosine to {s.FinalLearningRateRatio} of peak, gradient clip 1.0, seed {s.Seed}, {s.Threads} threads"));
            sb.AppendLine(string.Create(Inv, $"- tokens seen: {run.Summary.Tokens:N0}; wall time {run.Summary.WallSeconds / 60:F1} min on the 2-core development machine (TorchSharp-cpu 0.107.0)"));
            sb.AppendLine(string.Create(Inv, $"- final training loss {run.Summary.FinalLoss:F4}{(run.Summary.FinalValidationLoss is { } vl ? $", validation loss {vl:F4}" : "")}; curve in the run folder (`curve.jsonl`)"));
            if (run.Kind == "prm")
            {
                sb.AppendLine($"- data: `{Path.GetFileName(run.Data)}` — solutions sampled from gen-small at T=0.8 for training problems, each step labelled with the fraction of rollouts from it that reach the right answer; backbone initialised from `{Path.GetFileName(run.InitializedFrom)}`");
            }
            else
            {
                sb.AppendLine($"- data: problems generated on the fly (1–6 operations, 1–3 digit operands, 30% bracketed right operands, values in 0..999), loss on solution tokens only; the {run.HeldOutSkipped:N0} generated problems that equal a held-out problem were skipped");
            }

            if (m.Training!.TryGetValue("checkpoint_step", out var step))
            {
                sb.AppendLine($"- exported from the checkpoint at step {step.GetInt32()}");
            }
        }

        sb.AppendLine($"- reproduce: `{command}`");
        sb.AppendLine();
        sb.AppendLine("## Measured");
        sb.AppendLine();
        sb.AppendLine(string.Create(Inv, $"On `{heldout}` ({report.Overall.Problems} held-out problems, never trained on), through the project's ONNX Runtime decoder; {report.Samples} samples per problem at T={report.Temperature}, seed {report.Seed}; generator `{report.Model}`{(report.Verifier is null ? "" : $", verifier `{report.Verifier}`")}."));
        sb.AppendLine();
        sb.AppendLine(GeneratorEvaluation.Table(report));
        if (baseline is not null)
        {
            sb.AppendLine($"Greedy accuracy against `{baseline.Model}` (same problems):");
            sb.AppendLine();
            sb.AppendLine($"| level | {baseline.Model} | {report.Model} | gap (points) |");
            sb.AppendLine("|---|---|---|---|");
            foreach (var (level, metrics) in report.ByLevel)
            {
                var b = baseline.ByLevel[level].Greedy;
                sb.AppendLine(string.Create(Inv, $"| {level} | {100 * b:F1}% | {100 * metrics.Greedy:F1}% | {100 * (metrics.Greedy - b):+0.0;-0.0} |"));
            }

            sb.AppendLine(string.Create(Inv, $"| all | {100 * baseline.Overall.Greedy:F1}% | {100 * report.Overall.Greedy:F1}% | {100 * (report.Overall.Greedy - baseline.Overall.Greedy):+0.0;-0.0} |"));
            sb.AppendLine();
        }

        sb.AppendLine("## Targets");
        sb.AppendLine();
        foreach (var line in Targets(m.Name, report, baseline))
        {
            sb.AppendLine($"- {line}");
        }

        return sb.ToString();
    }

    private static IEnumerable<string> Targets(string name, EvaluationReport r, EvaluationReport? baseline)
    {
        string Met(bool ok) => ok ? "**met**" : "**missed**";
        var o = r.Overall;
        var first = r.ByLevel.First();
        var last = r.ByLevel.Last();
        if (name == "prm")
        {
            yield return string.Create(Inv, $"step-level ROC-AUC against the oracle step checker >= 0.85: {o.StepAuc:F3} over {r.StepsScored:N0} steps of {o.Problems * r.Samples:N0} sampled solutions — {Met(o.StepAuc >= 0.85)}");
            yield return string.Create(Inv, $"PRM-weighted best-of-{r.Samples} (last-step score summed per answer) >= maj@{r.Samples} + 5 points: {100 * o.WeightedBestOfNLast:F1}% vs {100 * o.MajorityAtN:F1}% ({100 * (o.WeightedBestOfNLast - o.MajorityAtN):+0.0;-0.0} points) — {Met(o.WeightedBestOfNLast >= o.MajorityAtN + 0.05)}");
        }
        else if (baseline is null)
        {
            yield return string.Create(Inv, $"greedy accuracy between 20% and 50% overall: {100 * o.Greedy:F1}% — {Met(o.Greedy is >= 0.2 and <= 0.5)}");
            yield return string.Create(Inv, $"falling with level: {100 * first.Value.Greedy:F1}% at level {first.Key} to {100 * last.Value.Greedy:F1}% at level {last.Key} — {Met(first.Value.Greedy > last.Value.Greedy)}");
            yield return string.Create(Inv, $"pass@{r.Samples} at least 15 points above pass@1 (T={r.Temperature}): {100 * o.PassAtN:F1}% vs {100 * o.PassAt1:F1}% ({100 * (o.PassAtN - o.PassAt1):+0.0;-0.0} points) — {Met(o.PassAtN >= o.PassAt1 + 0.15)}; maj@{r.Samples} {100 * o.MajorityAtN:F1}%");
        }
        else
        {
            yield return string.Create(Inv, $"greedy accuracy at least 15 points above {baseline.Model}: {100 * o.Greedy:F1}% vs {100 * baseline.Overall.Greedy:F1}% ({100 * (o.Greedy - baseline.Overall.Greedy):+0.0;-0.0} points) — {Met(o.Greedy >= baseline.Overall.Greedy + 0.15)}");
        }
    }
}
