using Platform.Inference.Onnx.Proto;

namespace Platform.Inference.Onnx;

/// <summary>A graph's weights as stored: the floating-point initializers (also those of If branches, as a merged decoder has) and their element type.</summary>
public static class OnnxParameters
{
    /// <summary>
    /// Parameters counted from <paramref name="onnxPath"/>'s initializers (weights in an external data file
    /// are counted from their shapes), the weights' element type, and how many initializers hold
    /// exactly <paramref name="matrix"/> elements (an export writes a tied embedding twice: once for the
    /// lookup, once transposed for the output layer), and the element type of the graph's KV cache (its
    /// first <c>past_key_values</c> input; null for a graph without one).
    /// </summary>
    public static (long Count, string DType, int MatricesOfSize, string? CacheType) Read(string onnxPath, long matrix = 0)
    {
        ModelProto model;
        using (var stream = File.OpenRead(onnxPath))
        {
            model = ModelProto.Parser.ParseFrom(stream);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var byType = new Dictionary<int, long>();
        var sizes = new List<long>();
        Walk(model.Graph, seen, byType, sizes);
        var count = byType.Values.Sum();
        var dtype = byType.Count == 0 ? "none" : Name(byType.MaxBy(p => p.Value).Key);
        var past = model.Graph.Input.FirstOrDefault(i => i.Name.StartsWith("past_key_values.", StringComparison.Ordinal));
        return (count, dtype, sizes.Count(s => s == matrix), past is null ? null : Name(past.Type.TensorType.ElemType));
    }

    private static void Walk(GraphProto? graph, HashSet<string> seen, Dictionary<int, long> byType, List<long> sizes)
    {
        if (graph is null)
        {
            return;
        }

        foreach (var t in graph.Initializer)
        {
            if (t.DataType is 1 or 10 or 11 or 16 && seen.Add(t.Name))
            {
                var size = t.Dims.Aggregate(1L, (a, d) => a * d);
                byType[t.DataType] = byType.GetValueOrDefault(t.DataType) + size;
                sizes.Add(size);
            }
        }

        foreach (var node in graph.Node)
        {
            foreach (var attribute in node.Attribute)
            {
                Walk(attribute.G, seen, byType, sizes);
                foreach (var g in attribute.Graphs)
                {
                    Walk(g, seen, byType, sizes);
                }
            }
        }
    }

    /// <summary>Bytes per element of a type <see cref="Name"/> gives.</summary>
    public static int Size(string type) => type switch
    {
        "float64" => 8,
        "float16" or "bfloat16" => 2,
        _ => 4,
    };

    private static string Name(int dataType) => dataType switch
    {
        1 => "float32",
        10 => "float16",
        11 => "float64",
        16 => "bfloat16",
        _ => $"type {dataType}",
    };
}
