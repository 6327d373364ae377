using static TorchSharp.torch;

namespace Platform.Training.Model;

public static class Tensors
{
    /// <summary>Right-pads rows to one length into an int64 [rows, length] tensor.</summary>
    public static Tensor Padded(IReadOnlyList<int[]> rows, long pad, int? length = null)
    {
        var width = length ?? rows.Max(r => r.Length);
        var data = new long[rows.Count * width];
        Array.Fill(data, pad);
        for (var i = 0; i < rows.Count; i++)
        {
            for (var j = 0; j < rows[i].Length; j++)
            {
                data[i * width + j] = rows[i][j];
            }
        }

        return tensor(data, [rows.Count, width]);
    }

    public static Tensor Floats(float[] data, long[] shape) => tensor(data, shape);
}
