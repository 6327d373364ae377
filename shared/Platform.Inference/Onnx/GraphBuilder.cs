using Google.Protobuf;
using Platform.Inference.Onnx.Proto;

namespace Platform.Inference.Onnx;

/// <summary>Small helper for writing ONNX graphs node by node with unique names.</summary>
public sealed class GraphBuilder(string name)
{
    private int _next;

    public GraphProto Graph { get; } = new() { Name = name };

    public string Node(string op, IEnumerable<string> inputs, string? output = null, params AttributeProto[] attributes) =>
        Nodes(op, inputs, [output ?? Fresh(op)], attributes)[0];

    public string[] Nodes(string op, IEnumerable<string> inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{_next++}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return outputs;
    }

    public string Fresh(string hint) => $"{hint.ToLowerInvariant()}_{_next++}";

    public string Floats(string tensorName, ReadOnlySpan<float> data, params long[] dims)
    {
        var tensor = new TensorProto { Name = tensorName, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data));
        Graph.Initializer.Add(tensor);
        return tensorName;
    }

    /// <summary>An int64 constant; <paramref name="dims"/> empty makes a scalar.</summary>
    public string Int64s(long[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = Fresh("const_i64"), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Scalar(long value) => Int64s([value]);
    public string Vector(params long[] values) => Int64s(values, values.Length);
    public string Scalar(float value) => Floats(Fresh("const_f32"), [value]);

    public void Input(string inputName, TensorProto.Types.DataType type, params object[] dims) => Graph.Input.Add(Value(inputName, type, dims));
    public void Output(string outputName, TensorProto.Types.DataType type, params object[] dims) => Graph.Output.Add(Value(outputName, type, dims));

    private static ValueInfoProto Value(string valueName, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string p => new TensorShapeProto.Types.Dimension { DimParam = p },
                int v => new TensorShapeProto.Types.Dimension { DimValue = v },
                long v => new TensorShapeProto.Types.Dimension { DimValue = v },
                _ => throw new ArgumentException($"dimension {d} must be a name or a number"),
            });
        }

        return new ValueInfoProto
        {
            Name = valueName,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public static AttributeProto Int(string attributeName, long value) =>
        new() { Name = attributeName, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string attributeName, float value) =>
        new() { Name = attributeName, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string attributeName, params long[] values)
    {
        var a = new AttributeProto { Name = attributeName, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}
