namespace Platform.Reasoning.Batching;

/// <summary>
/// Cuts rows sorted by length (shortest first) into batches for one forward pass each: a batch is
/// padded to its longest row, so it closes before taking a row that would make its padding more than
/// <c>maxPadding</c> of its real tokens — unless it has fewer than <c>minRows</c> rows (tiny passes
/// cost more per row than a little padding) — and at <c>maxRows</c> rows.
/// </summary>
public static class PaddingChunks
{
    public static IEnumerable<T[]> Split<T>(IReadOnlyList<T> sorted, Func<T, int> length, int maxRows, double maxPadding, int minRows = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxPadding);
        var chunk = new List<T>();
        long real = 0;
        var previous = 0;
        foreach (var row in sorted)
        {
            var n = length(row);
            if (n < previous)
            {
                throw new ArgumentException("rows must be sorted by length, shortest first", nameof(sorted));
            }

            previous = n;
            var padded = (long)n * (chunk.Count + 1);
            if (chunk.Count >= maxRows || (chunk.Count >= minRows && padded - (real + n) > maxPadding * (real + n)))
            {
                yield return chunk.ToArray();
                chunk.Clear();
                real = 0;
            }

            chunk.Add(row);
            real += n;
        }

        if (chunk.Count > 0)
        {
            yield return chunk.ToArray();
        }
    }
}
