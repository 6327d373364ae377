namespace Platform.Inference.Runtime;

/// <summary>
/// Lookahead rollouts written once per starting point. A rollout is greedy, so rows that end the same step
/// after the same prompt (a confident generator writes the same step in most of a node's samples, and a
/// search keeps identical nodes) would write the same rollout. The first such row in the batch writes it;
/// a row that begins one while it is being written ends at its step and, when the first row is done,
/// reports that row's rollout as its own, with no tokens generated for it.
/// </summary>
internal sealed class SharedRollouts
{
    private readonly Dictionary<int[], Row> _writing = new(TokenSequences.Comparer);

    /// <summary>Called after each token a row takes: a row whose rollout has just begun follows the row writing the same one, or writes it.</summary>
    public void Begin(Row row)
    {
        if (row.RolloutToken != row.Tokens.Count || row.Finish is not null || row.Leader is not null || row.RolloutKey is not null)
        {
            return;
        }

        int[] key = [.. row.Entry.Prompt, .. row.Tokens];
        if (_writing.TryGetValue(key, out var leader))
        {
            row.Leader = leader;
            row.Finish = FinishReasons.Stop;
            return;
        }

        _writing[key] = row;
        row.RolloutKey = key;
    }

    /// <summary>A row that has finished writing its rollout takes no more followers.</summary>
    public void Ended(Row row)
    {
        if (row.RolloutKey is { } key)
        {
            _writing.Remove(key);
        }
    }

    public void Clear() => _writing.Clear();
}

/// <summary>Token sequences compared by value.</summary>
internal sealed class TokenSequences : IEqualityComparer<int[]>
{
    public static readonly TokenSequences Comparer = new();

    public bool Equals(int[]? x, int[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(int[] ids)
    {
        var hash = new HashCode();
        hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(ids.AsSpan()));
        return hash.ToHashCode();
    }
}
