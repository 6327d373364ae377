using Microsoft.ML.OnnxRuntime;
using Platform.Inference.Runtime;

namespace Platform.Inference.Tests;

/// <summary>
/// The prefix tree's memory bound (<see cref="PrefixCache"/>) holds at every insert, not only after a
/// trim: an insert evicts least recently used leaves to make room, keeps what the caller used since its
/// tick, and what it stores reads back as the cache it was given.
/// </summary>
public sealed class PrefixCacheBoundTests
{
    private const int Tensors = 2; // one layer's key and value
    private const int PositionBytes = sizeof(float); // one head of one dimension
    private const long BytesPerToken = Tensors * PositionBytes;

    /// <summary>One row's cache [1, 1, length, 1] whose position p holds <paramref name="ids"/>[p] (so what is read back shows where it came from).</summary>
    private static OrtValue[] Past(int[] ids) =>
        [.. Enumerable.Range(0, Tensors).Select(t => OrtValue.CreateTensorValueFromMemory(ids.Select(id => id + 1000f * t).ToArray(), [1, 1, ids.Length, 1]))];

    private static void Insert(PrefixCache tree, int[] ids, long? keepFrom = null)
    {
        var past = Past(ids);
        tree.Insert(ids, past, 0, ids.Length, [.. Enumerable.Range(0, ids.Length)], keepFrom: keepFrom);
        DecoderGraph.Free(past);
    }

    /// <summary>What the tree holds for <paramref name="ids"/>, copied out as a row of the layout it was stored from.</summary>
    private static float[] Read(PrefixCache tree, int[] ids)
    {
        var match = tree.Find(ids, ids.Length, count: false);
        var to = Past(new int[match.Length]);
        tree.CopyInto(match, to, 0, match.Length);
        var values = to[0].GetTensorDataAsSpan<float>().ToArray();
        DecoderGraph.Free(to);
        return values;
    }

    [Theory]
    [InlineData(4, 3)] // room for one sequence and a bit: every insert evicts
    [InlineData(10, 3)]
    [InlineData(10, 7)] // sequences sharing their first tokens: splits as well as evictions
    [InlineData(64, 5)]
    public void Every_insert_leaves_the_tree_within_its_bound_and_the_newest_sequence_reads_back(int capacityTokens, int length)
    {
        var tree = new PrefixCache("generator", capacityTokens * BytesPerToken, Tensors, 1, PositionBytes);
        for (var i = 0; i < 40; i++)
        {
            // Half the sequences share a two-token head with the one before: inserts split edges too.
            int[] ids = [.. Enumerable.Range(0, length).Select(p => p < 2 && i % 2 == 1 ? 7 + p : i * 100 + p)];
            Insert(tree, ids);
            Assert.InRange(tree.Bytes, 0, tree.CapacityBytes);
            if (length <= capacityTokens)
            {
                Assert.Equal(ids.Select(id => (float)id), Read(tree, ids));
            }
        }

        Assert.True(tree.Evictions > 0, "40 sequences over a bound this small should have evicted");
    }

    [Fact]
    public void An_insert_keeps_what_its_caller_used_since_its_tick_and_trim_then_restores_the_bound()
    {
        int[] head = [1, 2, 3, 4];
        int[] other = [9, 8, 7, 6];

        var plain = new PrefixCache("generator", 6 * BytesPerToken, Tensors, 1, PositionBytes);
        Insert(plain, head);
        Insert(plain, other); // no tick: the head is the least recently used leaf and makes room
        Assert.Equal(0, plain.Find(head, head.Length, count: false).Length);
        Assert.Equal(4 * BytesPerToken, plain.Bytes);

        var kept = new PrefixCache("generator", 6 * BytesPerToken, Tensors, 1, PositionBytes);
        var tick = kept.Tick();
        Insert(kept, head, tick);
        Insert(kept, other, tick); // the head was stored after the tick: kept, over the bound until the trim
        Assert.Equal(head.Select(id => (float)id), Read(kept, head));
        Assert.Equal(8 * BytesPerToken, kept.Bytes);
        kept.Trim();
        Assert.InRange(kept.Bytes, 0, kept.CapacityBytes);
        Assert.Equal(1, kept.Evictions);
    }
}
