namespace Platform.Reasoning.Revisions;

/// <summary>
/// How a revision model reads its earlier attempts: after the problem's prompt come the last few
/// attempts, each ended by a newline and a marker line, then the model writes its next attempt
/// (the answer line unchanged). With the arithmetic task's defaults:
/// <code>
/// Q: (3+4)*2
/// 3+4=7
/// 7*2=15
/// A: 15
/// ==
/// 3+4=7
/// 7*2=14
/// A: 14
/// </code>
/// Training (the revision trajectories) and the chain controller build the context with this one function.
/// </summary>
public static class RevisionFormat
{
    /// <summary>The marker line between attempts (made of characters every arithmetic model already has).</summary>
    public const string DefaultSeparator = "==\n";

    /// <summary>Earlier attempts kept in context, the paper's choice and what gen-revise is trained with.</summary>
    public const int DefaultMaxAttempts = 4;

    /// <summary>
    /// The text that follows the prompt: the last <paramref name="maxAttempts"/> attempts in order, each
    /// ended by a newline (added when missing) and <paramref name="separator"/>. Older attempts are dropped
    /// first while the text is longer than <paramref name="maxChars"/>; the newest is always kept, cut
    /// from its start if it alone is longer.
    /// </summary>
    public static string Context(IReadOnlyList<string> attempts, int maxAttempts = DefaultMaxAttempts, string separator = DefaultSeparator, int maxChars = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 0);
        ArgumentException.ThrowIfNullOrEmpty(separator);
        var kept = attempts.Skip(Math.Max(0, attempts.Count - maxAttempts)).Select(a => Ended(a) + separator).ToList();
        var length = kept.Sum(k => k.Length);
        while (kept.Count > 1 && length > maxChars)
        {
            length -= kept[0].Length;
            kept.RemoveAt(0);
        }

        var text = string.Concat(kept);
        return text.Length <= maxChars ? text : text[^maxChars..];
    }

    /// <summary>Levenshtein distance (insert, delete, substitute: 1 each), used to pick the correct target closest to the last wrong attempt.</summary>
    public static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitute, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static string Ended(string attempt) => attempt.EndsWith('\n') ? attempt : attempt + "\n";
}
