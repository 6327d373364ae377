using System.Text.Json;
using Platform.Inference.Models;
using Platform.Reasoning.Arithmetic;
using Platform.Reasoning.Revisions;
using Platform.Training.Data;
using Platform.Training.Model;

namespace Platform.Training.Onnx;

/// <summary>Writes a model folder: model.onnx and its model.json.</summary>
public static class ModelExport
{
    /// <param name="kind">"decoder", "prm" or "orm"; by default "prm" for a score head, else "decoder".</param>
    /// <param name="revisionAttempts">For a revision model: earlier attempts it reads (adds the manifest's revision section).</param>
    public static ModelManifest Write(Gpt model, string name, string directory, Dictionary<string, JsonElement>? training = null, string? kind = null, int? revisionAttempts = null)
    {
        Directory.CreateDirectory(directory);
        var onnxPath = Path.Combine(directory, "model.onnx");
        OnnxExporter.Write(OnnxExporter.Export(model, name), onnxPath);
        var manifest = Manifest(model.Config, name, ModelDirectory.Sha256(onnxPath), training, kind) with
        {
            Revision = revisionAttempts is { } k ? new RevisionInfo { Separator = RevisionFormat.DefaultSeparator, MaxAttempts = k } : null,
        };
        File.WriteAllText(Path.Combine(directory, ModelManifest.FileName), JsonSerializer.Serialize(manifest, ModelManifest.Json));
        return manifest;
    }

    public static ModelManifest Manifest(GptConfig c, string name, string sha256, Dictionary<string, JsonElement>? training, string? kind = null) => new()
    {
        Name = name,
        Kind = kind ?? (c.ScoreHead ? "prm" : "decoder"),
        Onnx = new OnnxFile { File = "model.onnx", Sha256 = sha256, Opset = OnnxExporter.Opset },
        Architecture = new ArchitectureInfo
        {
            Type = "gpt2-preln", Layers = c.Layers, Heads = c.Heads, KvHeads = c.Heads, HeadDim = c.HeadDim, DModel = c.DModel,
            DFf = c.DFF, Context = c.Context, VocabSize = c.VocabSize,
        },
        Parameters = c.Parameters,
        FlopsPerToken = 2 * c.Parameters,
        AttentionFlopsPerPosition = 4L * c.Layers * c.DModel,
        Tokenizer = new TokenizerInfo { Type = "char", Vocabulary = [.. TaskText.Tokenizer.Tokens] },
        SpecialTokens = new SpecialTokens { Pad = TaskText.Tokenizer.PadId, Bos = TaskText.Tokenizer.BosId, Eos = TaskText.Tokenizer.EosId },
        PromptTemplate = ArithmeticFormat.PromptTemplate,
        AddBos = true,
        StepDelimiter = ArithmeticFormat.StepDelimiter.ToString(),
        Answer = new AnswerInfo { Prefix = ArithmeticFormat.AnswerPrefix, Format = "arithmetic" },
        // The step lines are the model's thinking; the answer line ends it (used by budget forcing).
        EndOfThinking = kind is "prm" or "orm" || c.ScoreHead ? null : ArithmeticFormat.AnswerPrefix.TrimEnd(),
        Verifier = c.ScoreHead ? new VerifierInfo { Output = "scores", ReadAt = "step_delimiter", Transform = "probability" }
            : kind is "prm" ? new VerifierInfo { Output = "logits", ReadAt = "step_likelihood", Transform = "probability" }
            : null,
        Training = training,
    };
}
