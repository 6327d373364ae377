using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Platform.Inference.Runtime;

/// <summary>
/// The floating-point types a graph's cache and scores may have (float32, and float16 or bfloat16 as
/// half-precision exports write them): their sizes, and scores read as float32 for sampling. The cache
/// stays in the graph's type; only the scores a step samples from are widened, one row at a time.
/// </summary>
public static class ElementTypes
{
    /// <summary>Bytes per element, or an error naming the tensor and its type.</summary>
    public static int Size(TensorElementType type, string what) => type switch
    {
        TensorElementType.Float => 4,
        TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
        _ => throw new InvalidDataException($"{what} is {Name(type)}; graphs run with float32, float16 or bfloat16 tensors only"),
    };

    /// <summary>The name ONNX gives the type (float16, not Float16).</summary>
    public static string Name(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Double => "float64",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Elements [<paramref name="start"/>, + <paramref name="count"/>) of a score tensor as float32: the
    /// tensor's own memory for a float32 tensor, otherwise widened into <paramref name="buffer"/>.
    /// </summary>
    public static ReadOnlySpan<float> Floats(OrtValue value, long start, int count, float[] buffer)
    {
        var type = value.GetTensorTypeAndShape().ElementDataType;
        var bytes = value.GetTensorMutableRawData();
        switch (type)
        {
            case TensorElementType.Float:
                return MemoryMarshal.Cast<byte, float>(bytes).Slice((int)start, count);
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes).Slice((int)start, count), buffer.AsSpan(0, count));
                return buffer.AsSpan(0, count);
            case TensorElementType.BFloat16:
                var from = MemoryMarshal.Cast<byte, ushort>(bytes).Slice((int)start, count);
                for (var i = 0; i < count; i++)
                {
                    buffer[i] = BitConverter.Int32BitsToSingle(from[i] << 16); // bfloat16 is the top half of a float32
                }

                return buffer.AsSpan(0, count);
            default:
                throw new InvalidDataException($"scores are {Name(type)}; graphs run with float32, float16 or bfloat16 tensors only");
        }
    }
}
