using Platform.Inference.Onnx.Proto;

namespace Platform.Inference.Onnx;

/// <summary>A graph's weights as stored: the floating-point initializers (also those of If branches, as a merged decoder has) and their element type.</summary>
public static class OnnxParameters
{
    /// <summary>Parameters counted from <paramref name="onnxPath"/>'s initializers (weights in an external data file are counted from their shapes), and the weights' element type.</summary>
    public static (long Count, string DType) Read(string onnxPath)
    {
        ModelProto model;
        using (var stream = File.OpenRead(onnxPath))
        {
            model = ModelProto.Parser.ParseFrom(stream);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var byType = new Dictionary<int, long>();
        Walk(model.Graph, seen, byType);
        var count = byType.Values.Sum();
        var dtype = byType.Count == 0 ? "none" : Name(byType.MaxBy(p => p.Value).Key);
        return (count, dtype);
    }

    private static void Walk(GraphProto? graph, HashSet<string> seen, Dictionary<int, long> byType)
    {
        if (graph is null)
        {
            return;
        }

        foreach (var t in graph.Initializer)
        {
            if (t.DataType is 1 or 10 or 11 or 16 && seen.Add(t.Name))
            {
                byType[t.DataType] = byType.GetValueOrDefault(t.DataType) + t.Dims.Aggregate(1L, (a, d) => a * d);
            }
        }

        foreach (var node in graph.Node)
        {
            foreach (var attribute in node.Attribute)
            {
                Walk(attribute.G, seen, byType);
                foreach (var g in attribute.Graphs)
                {
                    Walk(g, seen, byType);
                }
            }
        }
    }

    private static string Name(int dataType) => dataType switch
    {
        1 => "float32",
        10 => "float16",
        11 => "float64",
        16 => "bfloat16",
        _ => $"type {dataType}",
    };
}
