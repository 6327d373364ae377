namespace Platform.Reasoning.Selection;

/// <summary>
/// Picking one candidate out of N. Every method returns the index of the chosen candidate (the first
/// candidate carrying the chosen answer), or null when no candidate has an answer. Ties are broken
/// deterministically: the answer that appeared first wins.
/// </summary>
public static class AnswerSelection
{
    /// <summary>Self-consistency: the most frequent answer.</summary>
    public static int? Majority(IReadOnlyList<string?> answers) =>
        ByAnswer(answers, answers.Select(_ => 1.0).ToList());

    /// <summary>Best-of-N: the candidate with the highest score (no voting).</summary>
    public static int? Best(IReadOnlyList<string?> answers, IReadOnlyList<double> scores)
    {
        Check(answers, scores);
        int? best = null;
        for (var i = 0; i < answers.Count; i++)
        {
            if (answers[i] is not null && (best is null || scores[i] > scores[best.Value]))
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Weighted best-of-N: scores summed per distinct answer; the answer with the largest sum.</summary>
    public static int? Weighted(IReadOnlyList<string?> answers, IReadOnlyList<double> scores)
    {
        Check(answers, scores);
        return ByAnswer(answers, scores);
    }

    /// <summary>The weight behind each distinct answer (candidates without one count for none): what a weighted vote, and an early-stopping rule, read.</summary>
    public static IReadOnlyCollection<double> Totals(IReadOnlyList<string?> answers, IReadOnlyList<double> weights)
    {
        Check(answers, weights);
        return Sums(answers, weights).Values.Select(t => t.Sum).ToList();
    }

    private static Dictionary<string, (double Sum, int First)> Sums(IReadOnlyList<string?> answers, IReadOnlyList<double> weights)
    {
        var totals = new Dictionary<string, (double Sum, int First)>(StringComparer.Ordinal);
        for (var i = 0; i < answers.Count; i++)
        {
            if (answers[i] is not { } a)
            {
                continue;
            }

            totals[a] = totals.TryGetValue(a, out var t) ? (t.Sum + weights[i], t.First) : (weights[i], i);
        }

        return totals;
    }

    private static int? ByAnswer(IReadOnlyList<string?> answers, IReadOnlyList<double> weights)
    {
        var totals = Sums(answers, weights);
        if (totals.Count == 0)
        {
            return null;
        }

        var winner = totals.Values.First();
        foreach (var t in totals.Values)
        {
            if (t.Sum > winner.Sum || (t.Sum == winner.Sum && t.First < winner.First))
            {
                winner = t;
            }
        }

        return winner.First;
    }

    private static void Check(IReadOnlyList<string?> answers, IReadOnlyList<double> scores)
    {
        if (answers.Count != scores.Count)
        {
            throw new ArgumentException($"{answers.Count} answers but {scores.Count} scores");
        }
    }
}
