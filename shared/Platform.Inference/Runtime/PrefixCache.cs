using System.Diagnostics.Metrics;
using Microsoft.ML.OnnxRuntime;

namespace Platform.Inference.Runtime;

/// <summary>
/// KV caches kept across admissions, keyed by token ids in a radix tree (the idea of SGLang's
/// RadixAttention): each node holds the cache of the tokens on its edge, so a prompt finds the longest
/// cached prefix by walking the tree and only its remaining tokens are prefilled. One tree per decoder
/// session, shared by every run and decode loop using it. Bounded by <see cref="CapacityBytes"/>: an insert
/// first evicts least recently used leaves to make room for itself (a node is always used no later than
/// its parent, so the least recently used node is a leaf). The cache of a position does not depend on what follows it,
/// so any prefix of a stored sequence is served by the first columns of its nodes. A miss costs
/// recomputation only. Thread-safe; a <see cref="Match"/> is a snapshot of the arrays it read, which
/// later inserts and evictions never change.
/// </summary>
internal sealed class PrefixCache
{
    private static readonly Counter<long> LookedUp = ContinuousGenerator.Meter.CreateCounter<long>(
        "ttc.prefix_cache.lookup.tokens", "{token}", "Tokens looked up in a prefix cache, by cache (generator, verifier)");

    private static readonly Counter<long> Hit = ContinuousGenerator.Meter.CreateCounter<long>(
        "ttc.prefix_cache.hit.tokens", "{token}", "Tokens found in a prefix cache (hit rate: hit / lookup), by cache");

    private static readonly Counter<long> Evicted = ContinuousGenerator.Meter.CreateCounter<long>(
        "ttc.prefix_cache.evictions", "{node}", "Prefix-cache nodes evicted to stay under the memory bound, by cache");

    private static readonly UpDownCounter<long> Held = ContinuousGenerator.Meter.CreateUpDownCounter<long>(
        "ttc.prefix_cache.bytes", "By", "Bytes held in prefix caches, by cache");

    private readonly object _gate = new();
    private readonly Node _root = new([], [], 0);
    private readonly SortedSet<Node> _byUse = new(Node.LeastRecentlyUsedFirst);
    private readonly int _tensors;
    private readonly int _kvHeads;
    private readonly int _positionBytes;
    private readonly KeyValuePair<string, object?> _tag;
    private long _tick;
    private long _ids;

    /// <param name="owner">The metrics' <c>cache</c> tag: generator or verifier.</param>
    public PrefixCache(string owner, long capacityBytes, int tensors, int kvHeads, int positionBytes)
    {
        _tag = new("cache", owner);
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        CapacityBytes = capacityBytes;
        _tensors = tensors;
        _kvHeads = kvHeads;
        _positionBytes = positionBytes;
    }

    public long CapacityBytes { get; }

    /// <summary>Bytes of cache held now.</summary>
    public long Bytes { get; private set; }

    public int Nodes => _byUse.Count;

    public long Evictions { get; private set; }

    public long LookedUpTokens { get; private set; }

    public long HitTokens { get; private set; }

    /// <summary>What the tree has done so far and holds now.</summary>
    public PrefixCacheStats Stats()
    {
        lock (_gate)
        {
            return new PrefixCacheStats(LookedUpTokens, HitTokens, Bytes, CapacityBytes, Evictions);
        }
    }

    /// <summary>Bytes one cached token takes (every layer's key and value).</summary>
    public long BytesPerToken => (long)_tensors * _kvHeads * _positionBytes;

    /// <summary>
    /// The longest cached prefix of <paramref name="ids"/>, at most <paramref name="max"/> tokens; marks its nodes used.
    /// Counted as a lookup (metrics, <see cref="Stats"/>) unless <paramref name="count"/> is false: a second look at a
    /// prompt already counted.
    /// </summary>
    public Match Find(ReadOnlySpan<int> ids, int max, bool count = true)
    {
        var parts = new List<Part>();
        lock (_gate)
        {
            var at = Walk(ids, max, parts, ++_tick);
            if (count)
            {
                LookedUpTokens += max;
                HitTokens += at;
                LookedUp.Add(max, _tag);
                Hit.Add(at, _tag);
            }

            return new Match(at, parts);
        }
    }

    /// <summary>How many leading tokens of <paramref name="ids"/> (at most <paramref name="max"/>) the tree holds; counts nothing, marks nothing used.</summary>
    public int Holds(ReadOnlySpan<int> ids, int max)
    {
        lock (_gate)
        {
            return Walk(ids, max, null, 0);
        }
    }

    /// <summary>Follows <paramref name="ids"/> down the tree; with <paramref name="parts"/>, collects the nodes' arrays and marks them used at <paramref name="tick"/>.</summary>
    private int Walk(ReadOnlySpan<int> ids, int max, List<Part>? parts, long tick)
    {
        var node = _root;
        var at = 0;
        while (at < max && node.Children.TryGetValue(ids[at], out var child))
        {
            var k = Common(child.Tokens, ids[at..max]);
            if (parts is not null)
            {
                parts.Add(new Part(child.Kv, child.Values, child.Tokens.Length, at, k));
                Touch(child, tick);
            }

            at += k;
            if (k < child.Tokens.Length)
            {
                break;
            }

            node = child;
        }

        return at;
    }

    /// <summary>
    /// Stores the cache of <paramref name="ids"/>: position p is column <c>columns[p]</c> of row
    /// <paramref name="row"/> of <paramref name="past"/> [rows, kv_heads, length, head_dim]. Only the
    /// positions the tree does not hold yet are copied, with their <paramref name="values"/> (one per
    /// position, such as a verifier's log-probability of the token) when given. Room is made first, so the
    /// tree stays within its capacity: least recently used leaves are evicted, but none used at or after
    /// <paramref name="keepFrom"/> (a <see cref="Tick"/> taken when a caller's lookups and inserts began;
    /// by default this insert's own path). What still does not fit is left to <see cref="Trim"/>.
    /// </summary>
    public void Insert(ReadOnlySpan<int> ids, OrtValue[] past, int row, int length, ReadOnlySpan<int> columns, double[]? values = null, long? keepFrom = null)
    {
        if (ids.Length == 0)
        {
            return;
        }

        lock (_gate)
        {
            var tick = ++_tick;
            var node = _root;
            var at = 0;
            while (at < ids.Length && node.Children.TryGetValue(ids[at], out var child))
            {
                var k = Common(child.Tokens, ids[at..]);
                if (k < child.Tokens.Length)
                {
                    child = Split(child, k);
                }

                Touch(child, tick);
                at += k;
                node = child;
            }

            if (at == ids.Length)
            {
                return;
            }

            var count = ids.Length - at;
            Evict(count * BytesPerToken + (values is null ? 0 : count * sizeof(double)), keepFrom ?? tick);
            var kv = new byte[_tensors][];
            for (var t = 0; t < _tensors; t++)
            {
                var from = past[t].GetTensorMutableRawData();
                var to = kv[t] = new byte[(long)_kvHeads * count * _positionBytes];
                for (var h = 0; h < _kvHeads; h++)
                {
                    for (var p = 0; p < count; p++)
                    {
                        var src = (((long)row * _kvHeads + h) * length + columns[at + p]) * _positionBytes;
                        from.Slice((int)src, _positionBytes).CopyTo(to.AsSpan((h * count + p) * _positionBytes, _positionBytes));
                    }
                }
            }

            var leaf = new Node(ids[at..].ToArray(), kv, node.Depth + node.Tokens.Length)
            {
                Parent = node, Id = ++_ids, Used = tick, Values = values?[at..ids.Length],
            };
            node.Children[leaf.Tokens[0]] = leaf;
            _byUse.Add(leaf);
            Grow(leaf.Bytes);
        }
    }

    /// <summary>Evicts least recently used leaves until the tree is within its capacity (after inserts that could not make room).</summary>
    public void Trim()
    {
        lock (_gate)
        {
            Evict(0, long.MaxValue);
        }
    }

    /// <summary>A tick for <see cref="Insert"/>'s <c>keepFrom</c>: nodes looked up or stored after it are not evicted to make room.</summary>
    public long Tick()
    {
        lock (_gate)
        {
            return ++_tick;
        }
    }

    /// <summary>Evicts least recently used leaves used before <paramref name="keepFrom"/> until <paramref name="room"/> more bytes fit in the capacity.</summary>
    private void Evict(long room, long keepFrom)
    {
        while (Bytes + room > CapacityBytes && _byUse.Min is { } lru && lru.Used < keepFrom)
        {
            _byUse.Remove(lru);
            lru.Parent!.Children.Remove(lru.Tokens[0]);
            Grow(-lru.Bytes);
            Evictions++;
            Evicted.Add(1, _tag);
        }
    }

    /// <summary>
    /// Writes a match's cache into row <paramref name="row"/> of <paramref name="to"/> [rows, kv_heads,
    /// width, head_dim], ending at column <paramref name="width"/> (left-padded).
    /// </summary>
    public void CopyInto(Match match, OrtValue[] to, int row, int width)
    {
        var start = width - match.Length;
        for (var t = 0; t < _tensors; t++)
        {
            var target = to[t].GetTensorMutableRawData();
            foreach (var part in match.Parts)
            {
                for (var h = 0; h < _kvHeads; h++)
                {
                    var src = (long)h * part.Tokens * _positionBytes;
                    var dst = (((long)row * _kvHeads + h) * width + start + part.Position) * _positionBytes;
                    part.Kv[t].AsSpan((int)src, part.Count * _positionBytes).CopyTo(target.Slice((int)dst, part.Count * _positionBytes));
                }
            }
        }
    }

    /// <summary>Cuts a node's edge after <paramref name="k"/> tokens: a new node holds the first k (and the cache of them) with the rest as its child.</summary>
    private Node Split(Node node, int k)
    {
        var n = node.Tokens.Length;
        var head = new byte[_tensors][];
        var tail = new byte[_tensors][];
        for (var t = 0; t < _tensors; t++)
        {
            head[t] = new byte[(long)_kvHeads * k * _positionBytes];
            tail[t] = new byte[(long)_kvHeads * (n - k) * _positionBytes];
            for (var h = 0; h < _kvHeads; h++)
            {
                node.Kv[t].AsSpan(h * n * _positionBytes, k * _positionBytes).CopyTo(head[t].AsSpan(h * k * _positionBytes));
                node.Kv[t].AsSpan((h * n + k) * _positionBytes, (n - k) * _positionBytes).CopyTo(tail[t].AsSpan(h * (n - k) * _positionBytes));
            }
        }

        var parent = node.Parent!;
        var upper = new Node(node.Tokens[..k], head, node.Depth) { Parent = parent, Id = ++_ids, Used = node.Used, Values = node.Values?[..k] };
        var lower = new Node(node.Tokens[k..], tail, node.Depth + k) { Parent = upper, Id = ++_ids, Used = node.Used, Values = node.Values?[k..] };
        foreach (var child in node.Children.Values)
        {
            child.Parent = lower;
            lower.Children[child.Tokens[0]] = child;
        }

        _byUse.Remove(node);
        parent.Children[upper.Tokens[0]] = upper;
        upper.Children[lower.Tokens[0]] = lower;
        _byUse.Add(upper);
        _byUse.Add(lower);
        return upper;
    }

    private void Touch(Node node, long tick)
    {
        _byUse.Remove(node);
        node.Used = tick;
        _byUse.Add(node);
    }

    private void Grow(long bytes)
    {
        Bytes += bytes;
        Held.Add(bytes, _tag);
    }

    private static int Common(int[] edge, ReadOnlySpan<int> ids)
    {
        var n = Math.Min(edge.Length, ids.Length);
        var k = 0;
        while (k < n && edge[k] == ids[k])
        {
            k++;
        }

        return k;
    }

    /// <summary>Writes the values a match holds (where its nodes have them) into <paramref name="into"/>, position by position.</summary>
    public static void CopyValues(Match match, double[] into)
    {
        foreach (var part in match.Parts)
        {
            part.Values?.AsSpan(0, part.Count).CopyTo(into.AsSpan(part.Position));
        }
    }

    /// <summary>A cached prefix: its length and the node arrays (as they were) covering it, in order.</summary>
    public sealed record Match(int Length, IReadOnlyList<Part> Parts)
    {
        /// <summary>The first <paramref name="length"/> positions of this match.</summary>
        public Match Take(int length) => length >= Length ? this
            : new(length, [.. Parts.Where(p => p.Position < length).Select(p => p with { Count = Math.Min(p.Count, length - p.Position) })]);
    }

    /// <summary><paramref name="Count"/> positions from <paramref name="Position"/>, the first of a node's <paramref name="Tokens"/> cached positions.</summary>
    public sealed record Part(byte[][] Kv, double[]? Values, int Tokens, int Position, int Count);

    private sealed class Node(int[] tokens, byte[][] kv, int depth)
    {
        public static readonly IComparer<Node> LeastRecentlyUsedFirst = Comparer<Node>.Create((a, b) =>
            a.Used != b.Used ? a.Used.CompareTo(b.Used) : a.Depth != b.Depth ? b.Depth.CompareTo(a.Depth) : a.Id.CompareTo(b.Id));

        public readonly int[] Tokens = tokens;
        public readonly byte[][] Kv = kv;
        public readonly int Depth = depth; // position of the edge's first token
        public readonly Dictionary<int, Node> Children = [];
        public Node? Parent;
        public double[]? Values;
        public long Id;
        public long Used;

        public long Bytes => Kv.Sum(a => (long)a.Length) + (Values?.Length ?? 0) * sizeof(double);
    }
}

/// <summary>A prefix cache's counters: tokens looked up and found, bytes held against the bound, nodes evicted.</summary>
public sealed record PrefixCacheStats(long LookedUpTokens, long HitTokens, long Bytes, long CapacityBytes, long Evictions)
{
    public static readonly PrefixCacheStats Zero = new(0, 0, 0, 0, 0);

    public double HitRate => LookedUpTokens > 0 ? HitTokens / (double)LookedUpTokens : 0;

    public static PrefixCacheStats operator +(PrefixCacheStats a, PrefixCacheStats b) =>
        new(a.LookedUpTokens + b.LookedUpTokens, a.HitTokens + b.HitTokens, a.Bytes + b.Bytes, a.CapacityBytes + b.CapacityBytes, a.Evictions + b.Evictions);

    /// <summary>What happened between <paramref name="earlier"/> and this (bytes and capacity as now).</summary>
    public PrefixCacheStats Since(PrefixCacheStats earlier) =>
        this with { LookedUpTokens = LookedUpTokens - earlier.LookedUpTokens, HitTokens = HitTokens - earlier.HitTokens, Evictions = Evictions - earlier.Evictions };
}
