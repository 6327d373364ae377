using Google.Protobuf;
using Platform.Training.Model;
using Platform.Inference.Onnx.Proto;
using Platform.Inference.Onnx;
using static Platform.Inference.Onnx.GraphBuilder;
using DataType = Platform.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace Platform.Training.Onnx;

/// <summary>
/// Writes a trained <see cref="Gpt"/> as ONNX (opset 17, IR 8). A generator follows the Hugging Face
/// Optimum decoder-with-past layout: inputs <c>input_ids</c>, <c>attention_mask</c>, <c>position_ids</c>,
/// <c>past_key_values.{i}.key|value</c> [batch, heads, past, head_dim]; outputs <c>logits</c> and
/// <c>present.{i}.key|value</c>. One graph serves prefill (past length 0) and decoding. A PRM takes
/// <c>input_ids</c> and <c>attention_mask</c> and returns <c>scores</c> [batch, sequence] in (0, 1).
/// </summary>
public static class OnnxExporter
{
    public const int Opset = 17;
    public const int IrVersion = 8;

    public static ModelProto Export(Gpt model, string modelName)
    {
        var c = model.Config;
        var weights = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var g = new GraphBuilder(modelName);

        float[] Data(string name, bool transpose = false)
        {
            using var t = transpose ? weights[name].detach().t().contiguous() : weights[name].detach().contiguous();
            return t.data<float>().ToArray();
        }

        long[] Shape(string name, bool transpose = false)
        {
            var s = weights[name].shape;
            return transpose ? [s[1], s[0]] : s;
        }

        string W(string name, bool transpose = false) => g.Floats(name, Data(name, transpose), Shape(name, transpose));

        // Inputs.
        g.Input("input_ids", DataType.Int64, "batch_size", "sequence_length");
        string positions;
        if (c.ScoreHead)
        {
            g.Input("attention_mask", DataType.Int64, "batch_size", "sequence_length");
            // Positions count real tokens, so left and right padding give the same scores.
            var counted = g.Node("CumSum", ["attention_mask", g.Scalar(1L)]);
            positions = g.Node("Max", [g.Node("Sub", [counted, g.Scalar(1L)]), g.Scalar(0L)]);
        }
        else
        {
            g.Input("attention_mask", DataType.Int64, "batch_size", "total_sequence_length");
            g.Input("position_ids", DataType.Int64, "batch_size", "sequence_length");
            positions = "position_ids";
            for (var i = 0; i < c.Layers; i++)
            {
                g.Input($"past_key_values.{i}.key", DataType.Float, "batch_size", c.Heads, "past_sequence_length", c.HeadDim);
                g.Input($"past_key_values.{i}.value", DataType.Float, "batch_size", c.Heads, "past_sequence_length", c.HeadDim);
            }
        }

        var x = g.Node("Add", [g.Node("Gather", [W("tok_emb.weight"), "input_ids"]), g.Node("Gather", [W("pos_emb.weight"), positions])]);

        // allowed[b, 0, q, k] = key k is a real token and k <= past + q.
        var s = g.Node("Gather", [g.Node("Shape", ["input_ids"]), g.Scalar(1L)]);
        var t = g.Node("Gather", [g.Node("Shape", ["attention_mask"]), g.Scalar(1L)]);
        var past = g.Node("Sub", [t, s]);
        var keys = g.Node("Unsqueeze", [g.Node("Range", [g.Scalar(0L), t, g.Scalar(1L)]), g.Vector(0)]);
        var queries = g.Node("Unsqueeze", [g.Node("Range", [past, t, g.Scalar(1L)]), g.Vector(1)]);
        var causal = g.Node("LessOrEqual", [keys, queries]);
        var real = g.Node("Unsqueeze", [g.Node("Cast", ["attention_mask"], null, Int("to", (long)DataType.Bool)), g.Vector(1, 2)]);
        var allowed = g.Node("And", [causal, real]);
        var masked = g.Scalar(-1e9f);
        var scale = g.Scalar((float)(1.0 / Math.Sqrt(c.HeadDim)));
        var headShape = g.Vector(0, 0, c.Heads, c.HeadDim);
        var modelShape = g.Vector(0, 0, c.DModel);
        var split = g.Vector(c.DModel, c.DModel, c.DModel);
        var half = g.Scalar(0.5f);
        var one = g.Scalar(1.0f);
        var sqrt2 = g.Scalar((float)Math.Sqrt(2.0));

        string LayerNorm(string input, string prefix) =>
            g.Node("LayerNormalization", [input, W($"{prefix}.weight"), W($"{prefix}.bias")], null, Int("axis", -1), Float("epsilon", 1e-5f));

        string Linear(string input, string prefix, bool bias = true)
        {
            var y = g.Node("MatMul", [input, W($"{prefix}.weight", transpose: true)]);
            return bias ? g.Node("Add", [y, W($"{prefix}.bias")]) : y;
        }

        string Heads(string input) => g.Node("Transpose", [g.Node("Reshape", [input, headShape])], null, Ints("perm", 0, 2, 1, 3));

        for (var i = 0; i < c.Layers; i++)
        {
            var p = $"blocks.{i}";
            var qkv = g.Nodes("Split", [Linear(LayerNorm(x, $"{p}.ln1"), $"{p}.attn_in"), split],
                [g.Fresh("q"), g.Fresh("k"), g.Fresh("v")], Int("axis", -1));
            var q = Heads(qkv[0]);
            var k = Heads(qkv[1]);
            var v = Heads(qkv[2]);
            if (!c.ScoreHead)
            {
                k = g.Node("Concat", [$"past_key_values.{i}.key", k], $"present.{i}.key", Int("axis", 2));
                v = g.Node("Concat", [$"past_key_values.{i}.value", v], $"present.{i}.value", Int("axis", 2));
            }

            var scores = g.Node("Mul", [g.Node("MatMul", [q, g.Node("Transpose", [k], null, Ints("perm", 0, 1, 3, 2))]), scale]);
            var probabilities = g.Node("Softmax", [g.Node("Where", [allowed, scores, masked])], null, Int("axis", -1));
            var attended = g.Node("Reshape", [g.Node("Transpose", [g.Node("MatMul", [probabilities, v])], null, Ints("perm", 0, 2, 1, 3)), modelShape]);
            x = g.Node("Add", [x, Linear(attended, $"{p}.attn_out")]);

            var hidden = Linear(LayerNorm(x, $"{p}.ln2"), $"{p}.mlp_in");
            var gelu = g.Node("Mul", [g.Node("Mul", [hidden, half]), g.Node("Add", [g.Node("Erf", [g.Node("Div", [hidden, sqrt2])]), one])]);
            x = g.Node("Add", [x, Linear(gelu, $"{p}.mlp_out")]);
        }

        var final = LayerNorm(x, "ln_f");
        if (c.ScoreHead)
        {
            var raw = g.Node("Squeeze", [Linear(final, "head"), g.Vector(-1)]);
            g.Node("Sigmoid", [raw], "scores");
            g.Output("scores", DataType.Float, "batch_size", "sequence_length");
        }
        else
        {
            g.Node("MatMul", [final, W("head.weight", transpose: true)], "logits");
            g.Output("logits", DataType.Float, "batch_size", "sequence_length", c.VocabSize);
            for (var i = 0; i < c.Layers; i++)
            {
                g.Output($"present.{i}.key", DataType.Float, "batch_size", c.Heads, "total_sequence_length", c.HeadDim);
                g.Output($"present.{i}.value", DataType.Float, "batch_size", c.Heads, "total_sequence_length", c.HeadDim);
            }
        }

        var onnx = new ModelProto
        {
            IrVersion = IrVersion, ProducerName = "ttc-train", ProducerVersion = "1", ModelVersion = 1, Graph = g.Graph,
            DocString = $"{modelName}: {c.Parameters} parameters, {c.Layers} layers, d_model {c.DModel}",
        };
        onnx.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return onnx;
    }

    public static void Write(ModelProto model, string path)
    {
        using var file = File.Create(path);
        model.WriteTo(file);
    }

    /// <summary>Weights the exporter wrote transposed (MatMul takes [in, out]; a Linear keeps [out, in]).</summary>
    public static bool IsTransposed(string parameter) =>
        parameter.EndsWith("attn_in.weight", StringComparison.Ordinal) || parameter.EndsWith("attn_out.weight", StringComparison.Ordinal) ||
        parameter.EndsWith("mlp_in.weight", StringComparison.Ordinal) || parameter.EndsWith("mlp_out.weight", StringComparison.Ordinal) ||
        parameter == "head.weight";

    /// <summary>Copies an exported model's initializers back into a module of the same shape.</summary>
    public static void LoadInto(Gpt model, string onnxPath)
    {
        var initializers = ReadInitializers(onnxPath);
        using var _ = TorchSharp.torch.no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!initializers.TryGetValue(name, out var w))
            {
                throw new InvalidDataException($"{onnxPath} has no initializer '{name}'");
            }

            var shape = IsTransposed(name) ? new[] { w.Shape[1], w.Shape[0] } : w.Shape;

            // The weights are copied into memory of libtorch's own (no pinned managed array behind a
            // tensor), and every temporary, the transposed view included, is freed here on this thread
            // rather than by the finalizer.
            using var scope = TorchSharp.torch.NewDisposeScope();
            var source = TorchSharp.torch.empty(w.Shape, TorchSharp.torch.ScalarType.Float32);
            source.bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(w.Data.AsSpan());
            parameter.copy_(IsTransposed(name) ? source.t() : source);
            if (!parameter.shape.SequenceEqual(shape))
            {
                throw new InvalidDataException($"{onnxPath}: initializer '{name}' has shape [{string.Join(", ", w.Shape)}]");
            }
        }
    }

    /// <summary>The float initializers of an ONNX file by name, with their shapes (used to load exported weights back).</summary>
    public static Dictionary<string, (float[] Data, long[] Shape)> ReadInitializers(string path)
    {
        using var file = File.OpenRead(path);
        var model = ModelProto.Parser.ParseFrom(file);
        return model.Graph.Initializer
            .Where(t => t.DataType == (int)DataType.Float)
            .ToDictionary(t => t.Name, t => (System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray(), t.Dims.ToArray()));
    }
}
