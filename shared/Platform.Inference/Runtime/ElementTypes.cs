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

    /// <summary>A score tensor viewed as float32, its type and memory read once (a decode step reads one row per sequence).</summary>
    public static FloatView Floats(OrtValue value) => new(value);
}

/// <summary>
/// A float32, float16 or bfloat16 tensor read as float32: a slice is the tensor's own memory for float32,
/// otherwise widened into the caller's buffer.
/// </summary>
public readonly ref struct FloatView
{
    private readonly TensorElementType _type;
    private readonly Span<byte> _bytes;

    public FloatView(OrtValue value)
    {
        _type = value.GetTensorTypeAndShape().ElementDataType;
        _bytes = value.GetTensorMutableRawData();
        ElementTypes.Size(_type, "scores");
    }

    /// <summary>Elements [<paramref name="start"/>, + <paramref name="count"/>) as float32 (widened into <paramref name="buffer"/> where needed).</summary>
    public ReadOnlySpan<float> Slice(long start, int count, float[] buffer)
    {
        switch (_type)
        {
            case TensorElementType.Float:
                return MemoryMarshal.Cast<byte, float>(_bytes).Slice((int)start, count);
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(_bytes).Slice((int)start, count), buffer.AsSpan(0, count));
                return buffer.AsSpan(0, count);
            default:
                var from = MemoryMarshal.Cast<byte, ushort>(_bytes).Slice((int)start, count);
                for (var i = 0; i < count; i++)
                {
                    buffer[i] = BitConverter.Int32BitsToSingle(from[i] << 16); // bfloat16 is the top half of a float32
                }

                return buffer.AsSpan(0, count);
        }
    }

    /// <summary>One element as float32.</summary>
    public float this[long index] => _type switch
    {
        TensorElementType.Float => MemoryMarshal.Cast<byte, float>(_bytes)[(int)index],
        TensorElementType.Float16 => (float)MemoryMarshal.Cast<byte, Half>(_bytes)[(int)index],
        _ => BitConverter.Int32BitsToSingle(MemoryMarshal.Cast<byte, ushort>(_bytes)[(int)index] << 16),
    };
}
