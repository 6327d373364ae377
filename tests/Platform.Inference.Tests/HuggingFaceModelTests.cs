using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Platform.Inference.Models;
using Platform.Inference.Runtime;

namespace Platform.Inference.Tests;

/// <summary>
/// Models in the exact folder layout Optimum writes (scripts/make-hf-test-models.sh), run by the
/// platform's runtime with no per-model code, against a PyTorch forward pass without a cache
/// (parity.json): the same prompt ids, the same greedy tokens over 32 steps, logits within 1e-4 on a
/// left-padded batch.
/// </summary>
public sealed class HuggingFaceModelTests
{
    public static TheoryData<string> Models => new() { "llama-gqa", "qwen2-tied", "qwen3-head-dim", "gpt2", "qwen2-merged", "llama-gqa-f16", "phi3" };

    private static (ModelDirectory Model, JsonElement Parity) Load(string name)
    {
        var folder = Repository.Path($"models/hf-test/{name}");
        return (ModelDirectory.Load(folder), JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "parity.json"))).RootElement.Clone());
    }

    private static int[] Ints(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt32())];

    [Fact]
    public void Config_and_generation_config_are_read_as_transformers_reads_them()
    {
        var llama = Load("llama-gqa").Model.Manifest;
        Assert.Equal((2, 4, 2, 16), (llama.Architecture.Layers, llama.Architecture.Heads, llama.Architecture.KvHeads, llama.Architecture.HeadDim));
        Assert.Equal(3, llama.SpecialTokens.EndIds!.Count); // eos_token_id as a list in generation_config.json
        Assert.Equal("model.onnx", llama.Onnx.File);
        Assert.Equal(("float32", "float32"), (llama.WeightType, llama.CacheType));
        var half = Load("llama-gqa-f16").Model.Manifest;
        Assert.Equal(("float16", "float16"), (half.WeightType, half.CacheType)); // a half-precision export: the cache takes the graph's type

        var qwen3 = Load("qwen3-head-dim").Model.Manifest;
        Assert.Equal((4, 1, 32), (qwen3.Architecture.Heads, qwen3.Architecture.KvHeads, qwen3.Architecture.HeadDim)); // head_dim given, not hidden / heads
        Assert.Single(qwen3.SpecialTokens.EndIds!); // no generation_config.json: eos_token_id of config.json
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Parameters_are_counted_from_the_graph(string name)
    {
        var (model, parity) = Load(name);
        Assert.Equal(parity.GetProperty("parameters").GetInt64(), model.Manifest.Parameters);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Greedy_tokens_equal_the_reference_forward_pass(string name)
    {
        var (model, parity) = Load(name);
        using var session = DecoderSession.Open(model, new InferenceOptions { IntraOpThreads = 1 });
        var prompts = parity.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToList();
        var expectedIds = parity.GetProperty("prompt_ids").EnumerateArray().Select(Ints).ToList();
        for (var i = 0; i < prompts.Count; i++)
        {
            Assert.Equal(expectedIds[i], model.Tokenizer.EncodeWithSpecialTokens(prompts[i])); // as tokenizer(text)
        }

        var steps = parity.GetProperty("steps").GetInt32();
        var results = session.Generate([.. prompts.Select(p => new GenerationRequest
        {
            Prompt = p, PromptIds = model.Tokenizer.EncodeWithSpecialTokens(p), Sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = steps },
        })]);
        var expected = parity.GetProperty("greedy_tokens").EnumerateArray().Select(Ints).ToList();
        for (var i = 0; i < prompts.Count; i++)
        {
            var tokens = results[i].Samples[0].Tokens;
            Assert.Null(results[i].Error);
            Assert.Equal(expected[i][..tokens.Length], tokens);
            Assert.True(tokens.Length == steps || model.Tokenizer.IsEnd(tokens[^1]), $"{name} row {i} stopped after {tokens.Length} tokens without an end id");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Logits_of_a_left_padded_batch_through_the_cache_match_within_1e_4(string name)
    {
        var (model, parity) = Load(name);
        using var graph = DecoderGraph.Open(model.OnnxPath, new InferenceOptions { IntraOpThreads = 1 });
        var a = model.Manifest.Architecture;
        var prompts = parity.GetProperty("prompt_ids").EnumerateArray().Select(Ints).ToList();
        var greedy = parity.GetProperty("greedy_tokens").EnumerateArray().Select(Ints).ToList();
        var pad = parity.GetProperty("pad_id").GetInt32();
        var rows = prompts.Count;
        var width = prompts.Max(p => p.Length);

        // Prefill: left-padded prompts over an empty cache, positions counted from each row's first real token.
        var ids = new List<long>();
        var mask = new List<List<long>>();
        var positions = new List<long>();
        foreach (var p in prompts)
        {
            var padding = width - p.Length;
            ids.AddRange(Enumerable.Repeat((long)pad, padding).Concat(p.Select(t => (long)t)));
            mask.Add([.. Enumerable.Repeat(0L, padding), .. Enumerable.Repeat(1L, p.Length)]);
            positions.AddRange(Enumerable.Repeat(0L, padding).Concat(Enumerable.Range(0, p.Length).Select(k => (long)k)));
        }

        var past = graph.AllocateCache(2 * a.Layers, [rows, a.KvHeads, 0, a.HeadDim]);
        var logits = Step(graph, a, [.. ids], mask, [.. positions], rows, width, ref past);
        var tolerance = Tolerance(model);
        AssertClose(parity.GetProperty("first_step_logits"), logits, name, "first step", tolerance);

        // Decode: one greedy token per row per step through the cache.
        for (var step = 0; step < greedy[0].Length - 1; step++)
        {
            var next = greedy.Select(g => (long)g[step]).ToArray();
            foreach (var m in mask)
            {
                m.Add(1);
            }

            var at = mask.Select(m => m.Sum() - 1).ToArray();
            logits = Step(graph, a, next, mask, at, rows, 1, ref past);
        }

        AssertClose(parity.GetProperty("last_step_logits"), logits, name, "last step", tolerance);
        DecoderGraph.Free(past);
    }

    /// <summary>One forward pass; returns the last position's logits per row and replaces the cache with the present one.</summary>
    private static float[][] Step(DecoderGraph graph, ArchitectureInfo a, long[] ids, List<List<long>> mask, long[] positions, int rows, int width, ref OrtValue[] past)
    {
        var total = mask[0].Count;
        var present = graph.AllocateCache(2 * a.Layers, [rows, a.KvHeads, total, a.HeadDim]);
        using var scores = graph.AllocateOutput("logits", [rows, width, a.VocabSize]);
        graph.Run(ids, [.. mask.SelectMany(m => m)], positions, [rows, width], past, "logits", scores, present);
        DecoderGraph.Free(past);
        past = present;
        var buffer = new float[a.VocabSize];
        var last = new float[rows][];
        for (var r = 0; r < rows; r++)
        {
            last[r] = ElementTypes.Floats(scores).Slice(((long)(r * width) + width - 1) * a.VocabSize, a.VocabSize, buffer).ToArray();
        }

        return last;
    }

    /// <summary>
    /// 1e-4 for a float32 graph; a float16 graph computes in float16 (a 10-bit mantissa: steps of about 1e-3
    /// of a value) against a reference with the same float16 weights computing in float32.
    /// </summary>
    private static double Tolerance(ModelDirectory model) => model.Manifest.CacheType == "float16" ? 5e-3 : 1e-4;

    [Fact]
    public void Half_precision_scores_are_widened_exactly()
    {
        float[] half = [1.5f, -0.25f, 65504f, -3.0517578e-05f]; // 65504: float16's largest; -2^-15
        float[] brain = [1.5f, -0.25f, 65280f, 1.2676506e30f]; // 2^100: beyond float16, within bfloat16
        using var halfValue = OrtValue.CreateTensorValueFromMemory(half.Select(v => (Float16)v).ToArray(), [half.Length]);
        using var brainValue = OrtValue.CreateTensorValueFromMemory(brain.Select(v => (BFloat16)v).ToArray(), [brain.Length]);
        var buffer = new float[4];
        Assert.Equal(half, ElementTypes.Floats(halfValue).Slice(0, 4, buffer).ToArray());
        Assert.Equal(brain[1..], ElementTypes.Floats(brainValue).Slice(1, 3, buffer).ToArray());
        Assert.Equal((half[3], brain[3]), (ElementTypes.Floats(halfValue)[3], ElementTypes.Floats(brainValue)[3])); // one element, as a step's read-out takes it
    }

    private static void AssertClose(JsonElement expected, float[][] actual, string name, string step, double tolerance)
    {
        var rows = expected.EnumerateArray().ToList();
        Assert.Equal(rows.Count, actual.Length);
        var worst = 0.0;
        for (var r = 0; r < rows.Count; r++)
        {
            var e = rows[r].EnumerateArray().Select(x => x.GetDouble()).ToArray();
            Assert.Equal(e.Length, actual[r].Length);
            worst = Math.Max(worst, e.Zip(actual[r]).Max(p => Math.Abs(p.First - p.Second)));
        }

        Assert.True(worst < tolerance, $"{name} {step}: largest logit difference {worst:E2} (limit {tolerance:E0})");
    }

    [Fact]
    public void A_graph_whose_cache_is_not_a_float_type_it_runs_is_refused_by_name()
    {
        var dir = Directory.CreateTempSubdirectory("ttc-fp16").FullName;
        try
        {
            // A one-layer graph in the Optimum layout whose cache is float64.
            var g = new Platform.Inference.Onnx.GraphBuilder("fp16");
            g.Input("input_ids", Platform.Inference.Onnx.Proto.TensorProto.Types.DataType.Int64, "batch", "seq");
            g.Input("attention_mask", Platform.Inference.Onnx.Proto.TensorProto.Types.DataType.Int64, "batch", "total");
            foreach (var kind in new[] { "key", "value" })
            {
                g.Input($"past_key_values.0.{kind}", Platform.Inference.Onnx.Proto.TensorProto.Types.DataType.Double, "batch", 1, "past", 4);
                g.Graph.Node.Add(new Platform.Inference.Onnx.Proto.NodeProto { OpType = "Identity", Input = { $"past_key_values.0.{kind}" }, Output = { $"present.0.{kind}" } });
                g.Output($"present.0.{kind}", Platform.Inference.Onnx.Proto.TensorProto.Types.DataType.Double, "batch", 1, "total", 4);
            }

            var cast = new Platform.Inference.Onnx.Proto.NodeProto { OpType = "Cast", Input = { "input_ids" }, Output = { "logits" } };
            cast.Attribute.Add(Platform.Inference.Onnx.GraphBuilder.Int("to", 1));
            g.Graph.Node.Add(cast);
            g.Output("logits", Platform.Inference.Onnx.Proto.TensorProto.Types.DataType.Float, "batch", "seq");
            var model = new Platform.Inference.Onnx.Proto.ModelProto { IrVersion = 8, Graph = g.Graph };
            model.OpsetImport.Add(new Platform.Inference.Onnx.Proto.OperatorSetIdProto { Domain = "", Version = 17 });
            using (var file = File.Create(Path.Combine(dir, "model.onnx")))
            {
                Google.Protobuf.MessageExtensions.WriteTo(model, file);
            }

            File.WriteAllText(Path.Combine(dir, "config.json"), """{"model_type":"gpt2","n_layer":1,"n_head":1,"n_embd":4,"n_positions":64,"vocab_size":2057,"eos_token_id":2056}""");
            File.Copy(Repository.Path("tests/data/tokenizers/gpt2/tokenizer.json"), Path.Combine(dir, "tokenizer.json"));
            var error = Assert.Throws<InvalidDataException>(() => DecoderSession.Open(ModelDirectory.Load(dir), new InferenceOptions { IntraOpThreads = 1 }));
            Assert.Contains("past_key_values.0.key is float64; graphs run with float32, float16 or bfloat16 tensors only", error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
