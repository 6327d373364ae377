using System.Text.Json;
using Platform.Inference.Models;
using Platform.Tests.Shared;
using Platform.Training.Commands;
using Platform.Training.Data;
using Platform.Training.Model;
using Platform.Training.Onnx;
using static TorchSharp.torch;

namespace Platform.Training.Tests;

/// <summary>TorchSharp and ONNX Runtime must compute the same function: max |Δlogit| ≤ 1e-4.</summary>
public sealed class OnnxParityTests : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly string _dir = Directory.CreateTempSubdirectory("ttc-parity").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_freshly_initialised_model_exports_with_parity(bool scoreHead)
    {
        manual_seed(123);
        var config = new GptConfig { VocabSize = TaskText.Tokenizer.VocabularySize, Layers = 2, Heads = 2, DModel = 32, DFF = 64, ScoreHead = scoreHead };
        using var model = new Gpt(config);
        model.eval();
        var manifest = ModelExport.Write(model, "parity", _dir);
        Assert.Equal(config.Parameters, model.parameters().Sum(p => p.numel()));
        Assert.Equal(scoreHead ? "prm" : "decoder", manifest.Kind);

        var (full, incremental) = ExportCommand.Check(model, Path.Combine(_dir, "model.onnx"));
        Assert.InRange(full, 0, Tolerance);
        if (!scoreHead)
        {
            Assert.InRange(incremental!.Value, 0, Tolerance);
        }
    }

    [Theory]
    [InlineData("gen-small")]
    [InlineData("gen-large")]
    [InlineData("prm")]
    [InlineData("orm")]
    [InlineData("gen-revise")]
    public void Each_shipped_model_computes_what_its_weights_compute_in_TorchSharp(string name)
    {
        var directory = ModelDirectory.Load(Repository.Model(name));
        var a = directory.Manifest.Architecture;
        var config = new GptConfig
        {
            VocabSize = a.VocabSize, Context = a.Context, Layers = a.Layers, Heads = a.Heads, DModel = a.DModel, DFF = a.DFf,
            // A score head for verifiers read at step delimiters; a generative verifier is a decoder graph.
            ScoreHead = directory.Manifest.Verifier is { ReadAt: "step_delimiter" },
        };
        Assert.Equal(directory.Manifest.Parameters, config.Parameters);

        using var model = new Gpt(config);
        OnnxExporter.LoadInto(model, directory.OnnxPath);
        model.eval();
        var (full, incremental) = ExportCommand.Check(model, directory.OnnxPath);
        Assert.InRange(full, 0, Tolerance);
        if (!config.ScoreHead)
        {
            Assert.InRange(incremental!.Value, 0, Tolerance);
        }
    }

    [Fact]
    public void A_long_context_model_exports_with_parity_past_the_short_models_positions()
    {
        manual_seed(321);
        var config = new GptConfig { VocabSize = TaskText.Tokenizer.VocabularySize, Context = 512, Layers = 2, Heads = 2, DModel = 32, DFF = 64 };
        using var model = new Gpt(config);
        model.eval();
        var manifest = ModelExport.Write(model, "revise-parity", _dir, revisionAttempts: 4);
        Assert.Equal(512, manifest.Architecture.Context);
        Assert.Equal((RevisionFormatSeparator, 4), (manifest.Revision!.Separator, manifest.Revision.MaxAttempts));
        var (full, incremental) = ExportCommand.Check(model, Path.Combine(_dir, "model.onnx")); // includes a row of four attempts (> 128 positions)
        Assert.InRange(full, 0, Tolerance);
        Assert.InRange(incremental!.Value, 0, Tolerance);
    }

    private const string RevisionFormatSeparator = Platform.Reasoning.Revisions.RevisionFormat.DefaultSeparator;

    [Fact]
    public void The_manifest_records_the_shape_and_the_checksum()
    {
        manual_seed(5);
        using var model = new Gpt(GptConfig.Small(TaskText.Tokenizer.VocabularySize));
        var manifest = ModelExport.Write(model, "gen-test", _dir);
        var reread = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(Path.Combine(_dir, "model.json")), ModelManifest.Json)!;
        Assert.Equal(815_872, reread.Parameters);
        Assert.Equal(2 * 815_872, reread.FlopsPerToken);
        Assert.Equal(4 * 4 * 128, reread.AttentionFlopsPerPosition);
        Assert.Equal(ModelDirectory.Sha256(Path.Combine(_dir, "model.onnx")), reread.Onnx.Sha256);
        Assert.Equal(manifest.Tokenizer.Vocabulary, reread.Tokenizer.Vocabulary);
        Assert.Equal("\n", reread.StepDelimiter);
    }
}
