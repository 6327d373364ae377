using System.Text.Json.Nodes;
using Platform.Inference.Models;
using Platform.Inference.Runtime;

namespace Platform.Inference.Tests;

/// <summary>A broken model folder fails with a message that names the file at fault.</summary>
public sealed class ModelDirectoryTests : IDisposable
{
    private readonly string _dir = Repository.CopyToTemp(Repository.Model("gen-small"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string ManifestPath => Path.Combine(_dir, "model.json");
    private string OnnxPath => Path.Combine(_dir, "model.onnx");

    private void EditManifest(Action<JsonNode> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(ManifestPath))!;
        edit(json);
        File.WriteAllText(ManifestPath, json.ToJsonString());
    }

    private static Exception Open(string dir) =>
        Record.Exception(() =>
        {
            using var session = DecoderSession.Open(ModelDirectory.Load(dir), new InferenceOptions());
        })!;

    [Fact]
    public void The_shipped_copy_opens()
    {
        Assert.Null(Record.Exception(() => DecoderSession.Open(ModelDirectory.Load(_dir), new InferenceOptions()).Dispose()));
    }

    [Fact]
    public void A_missing_onnx_file_is_named()
    {
        File.Delete(OnnxPath);
        var e = Assert.IsType<FileNotFoundException>(Open(_dir));
        Assert.Contains("model.onnx", e.Message);
    }

    [Fact]
    public void A_missing_manifest_is_named()
    {
        File.Delete(ManifestPath);
        var e = Assert.IsType<FileNotFoundException>(Open(_dir));
        Assert.Contains("model.json", e.Message);
    }

    [Fact]
    public void A_corrupt_onnx_file_fails_its_checksum()
    {
        var bytes = File.ReadAllBytes(OnnxPath);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(OnnxPath, bytes);
        var e = Assert.IsType<InvalidDataException>(Open(_dir));
        Assert.Contains("model.onnx", e.Message);
        Assert.Contains("sha256", e.Message);
    }

    [Fact]
    public void A_truncated_onnx_file_without_a_checksum_is_refused_by_name()
    {
        EditManifest(j => j["onnx"]!.AsObject().Remove("sha256"));
        File.WriteAllBytes(OnnxPath, File.ReadAllBytes(OnnxPath)[..1000]);
        var e = Assert.IsType<InvalidDataException>(Open(_dir));
        Assert.Contains("model.onnx", e.Message);
    }

    [Fact]
    public void A_manifest_that_is_not_json_is_named()
    {
        File.WriteAllText(ManifestPath, "{ not json");
        var e = Assert.IsType<InvalidDataException>(Open(_dir));
        Assert.Contains("model.json", e.Message);
    }

    [Theory]
    [InlineData("layers", 7, "layers")]
    [InlineData("head_dim", 16, "heads")]
    [InlineData("vocab_size", 99, "vocab_size")]
    public void A_manifest_that_does_not_match_the_graph_is_named(string field, int value, string mentioned)
    {
        EditManifest(j => j["architecture"]![field] = value);
        var e = Assert.IsType<InvalidDataException>(Open(_dir));
        Assert.Contains("model.json", e.Message);
        Assert.Contains(mentioned, e.Message);
    }

    [Fact]
    public void A_vocabulary_that_does_not_fit_the_model_is_named()
    {
        EditManifest(j => j["tokenizer"]!["vocabulary"]!.AsArray().Add("x"));
        var e = Assert.IsType<InvalidDataException>(Open(_dir));
        Assert.Contains("model.json", e.Message);
    }

    [Fact]
    public void Asking_for_CUDA_on_a_host_without_its_libraries_is_an_error_naming_them()
    {
        // A library no host has, so that the check is the same with or without a GPU.
        const string absent = "libttc-absent-cuda.so.1";
        var e = Assert.Throws<InvalidOperationException>(() => DecoderSession.Open(ModelDirectory.Load(_dir),
            new InferenceOptions { ExecutionProvider = "cuda", CudaLibraries = [absent, "libc.so.6"] }));
        Assert.Contains("Inference:ExecutionProvider", e.Message);
        Assert.Contains(absent, e.Message);
        Assert.DoesNotContain("libc.so.6", e.Message); // a library the loader finds is not named
        var unknown = Assert.Throws<ArgumentException>(() => DecoderSession.Open(ModelDirectory.Load(_dir), new InferenceOptions { ExecutionProvider = "tpu" }));
        Assert.Contains("Inference:ExecutionProvider", unknown.Message);
    }

    [Fact]
    public void A_generator_will_not_open_as_a_verifier()
    {
        var e = Assert.Throws<InvalidDataException>(() => PrmScorer.Open(ModelDirectory.Load(_dir), new InferenceOptions()));
        Assert.Contains("model.json", e.Message);
    }
}
