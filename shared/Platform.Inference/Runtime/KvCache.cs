using Microsoft.ML.OnnxRuntime;

namespace Platform.Inference.Runtime;

/// <summary>
/// KV-cache surgery on ONNX Runtime values laid out [rows, kv_heads, length, head_dim] with a [rows,
/// length] attention mask: gathering rows (forking a prompt for its samples, dropping finished rows,
/// trimming shared padding), merging two caches left-padded to one length, and writing joining rows
/// into the places of finished ones. Padding cells always hold numbers: masked scores still multiply them.
/// The cache stays in the graph's type; cells are moved as bytes (a head's row is head_dim elements of it).
/// </summary>
internal sealed class KvCache(DecoderGraph graph, int kvHeads, int headDim)
{
    private readonly DecoderGraph _graph = graph;
    private readonly int _kvHeads = kvHeads;
    private readonly int _positionBytes = headDim * graph.CacheElementSize; // one head's cells at one position, in bytes

    /// <summary>New cache and mask holding the given source rows, minus <paramref name="trim"/> leading columns.</summary>
    public (OrtValue[] Past, long[] Mask) Gather(OrtValue[] past, long[] mask, int length, IReadOnlyList<int> sources, int trim)
    {
        var kept = length - trim;
        var block = (long)kept * _positionBytes;
        var result = _graph.AllocateCache(past.Length, [sources.Count, _kvHeads, kept, HeadDim]);
        for (var t = 0; t < past.Length; t++)
        {
            var from = past[t].GetTensorMutableRawData();
            var to = result[t].GetTensorMutableRawData();
            for (var i = 0; i < sources.Count; i++)
            {
                for (var h = 0; h < _kvHeads; h++)
                {
                    var src = (((long)sources[i] * _kvHeads + h) * length + trim) * _positionBytes;
                    var dst = ((long)i * _kvHeads + h) * block;
                    from.Slice((int)src, (int)block).CopyTo(to.Slice((int)dst, (int)block));
                }
            }
        }

        var newMask = new long[sources.Count * kept];
        for (var i = 0; i < sources.Count; i++)
        {
            Array.Copy(mask, sources[i] * length + trim, newMask, i * kept, kept);
        }

        return (result, newMask);
    }

    /// <summary>
    /// One cache and mask holding the rows of <paramref name="a"/> then those of <paramref name="b"/>;
    /// the shorter side is left-padded with masked, zeroed columns to the longer length.
    /// </summary>
    public (OrtValue[] Past, long[] Mask) Merge(OrtValue[] a, long[] maskA, int lengthA, int rowsA, OrtValue[] b, long[] maskB, int lengthB, int rowsB)
    {
        var length = Math.Max(lengthA, lengthB);
        var result = _graph.AllocateCache(a.Length, [rowsA + rowsB, _kvHeads, length, HeadDim]);
        for (var t = 0; t < a.Length; t++)
        {
            var to = result[t].GetTensorMutableRawData();
            Copy(a[t].GetTensorMutableRawData(), rowsA, lengthA, to, 0, length);
            Copy(b[t].GetTensorMutableRawData(), rowsB, lengthB, to, rowsA, length);
        }

        var mask = new long[(rowsA + rowsB) * length];
        for (var i = 0; i < rowsA; i++)
        {
            Array.Copy(maskA, i * lengthA, mask, i * length + length - lengthA, lengthA);
        }

        for (var i = 0; i < rowsB; i++)
        {
            Array.Copy(maskB, i * lengthB, mask, (rowsA + i) * length + length - lengthB, lengthB);
        }

        return (result, mask);

        void Copy(ReadOnlySpan<byte> from, int rows, int fromLength, Span<byte> to, int firstRow, int toLength)
        {
            var pad = (toLength - fromLength) * _positionBytes;
            var block = fromLength * _positionBytes;
            for (var i = 0; i < rows; i++)
            {
                for (var h = 0; h < _kvHeads; h++)
                {
                    var dst = (((firstRow + i) * _kvHeads) + h) * toLength * _positionBytes;
                    to.Slice(dst, pad).Clear(); // padding must hold numbers (all-zero bytes are 0 in every float type): masked scores still multiply the values
                    from.Slice(((i * _kvHeads) + h) * block, block).CopyTo(to.Slice(dst + pad, block));
                }
            }
        }
    }

    /// <summary>
    /// Writes rows of a freshly prefilled cache (<paramref name="from"/> [prompts, heads, width, head_dim],
    /// row <c>sources[j]</c>) into rows <c>slots[j]</c> of <paramref name="to"/> (length
    /// <paramref name="length"/>), each ending at that length; the cells before them are left as they are.
    /// </summary>
    public void CopyInto(OrtValue[] from, int width, IReadOnlyList<int> sources, OrtValue[] to, int length, IReadOnlyList<int> slots)
    {
        var block = width * _positionBytes;
        for (var t = 0; t < from.Length; t++)
        {
            var source = from[t].GetTensorMutableRawData();
            var target = to[t].GetTensorMutableRawData();
            for (var j = 0; j < sources.Count; j++)
            {
                for (var h = 0; h < _kvHeads; h++)
                {
                    var src = (sources[j] * _kvHeads + h) * block;
                    var dst = ((slots[j] * _kvHeads + h) * length + length - width) * _positionBytes;
                    source.Slice(src, block).CopyTo(target.Slice(dst, block));
                }
            }
        }
    }

    private long HeadDim => _positionBytes / _graph.CacheElementSize;

    /// <summary>Token rows left-padded to a common width, with their mask and positions (starting at each row's offset).</summary>
    public static (long[] Ids, long[] Mask, long[] Positions, int Width) LeftPadded(IReadOnlyList<int[]> rows, IReadOnlyList<int> offsets, int padId)
    {
        var width = rows.Count == 0 ? 0 : rows.Max(x => x.Length);
        var ids = new long[rows.Count * width];
        var mask = new long[rows.Count * width];
        var positions = new long[rows.Count * width];
        for (var k = 0; k < rows.Count; k++)
        {
            var pad = width - rows[k].Length;
            ids.AsSpan(k * width, pad).Fill(padId);
            for (var j = 0; j < rows[k].Length; j++)
            {
                ids[k * width + pad + j] = rows[k][j];
                mask[k * width + pad + j] = 1;
                positions[k * width + pad + j] = offsets[k] + j;
            }
        }

        return (ids, mask, positions, width);
    }

    /// <summary>Token rows right-padded to <paramref name="width"/>, with their mask and positions (counted from 0 in each row).</summary>
    public static (long[] Ids, long[] Mask, long[] Positions) RightPadded(IReadOnlyList<ReadOnlyMemory<int>> rows, int width, int padId)
    {
        var ids = new long[rows.Count * width];
        var mask = new long[rows.Count * width];
        var positions = new long[rows.Count * width];
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r].Span;
            ids.AsSpan(r * width, width).Fill(padId);
            for (var j = 0; j < row.Length; j++)
            {
                (ids[r * width + j], mask[r * width + j], positions[r * width + j]) = (row[j], 1, j);
            }
        }

        return (ids, mask, positions);
    }

    /// <summary>Leading columns of a row that are padding (masked).</summary>
    public static int LeadingPadding(long[] mask, int row, int length)
    {
        var n = 0;
        while (n < length && mask[row * length + n] == 0)
        {
            n++;
        }

        return n;
    }
}
