namespace Platform.Reasoning.Policy;

/// <summary>One point of a bin's accuracy-against-budget curve: what the policy does at that budget, and its cost (tokens or FLOPs).</summary>
public sealed record BudgetLevel(int Budget, double Cost, double Accuracy);

/// <summary>
/// Splits a batch's total budget (tokens or FLOPs) across its problems by equalising the marginal accuracy gain
/// per unit of cost: every problem starts at its bin's cheapest level, then the upgrade with the highest
/// gain per unit anywhere in the batch is bought, again and again, while it fits. Each bin's curve is
/// reduced to its upper concave hull first (a level under the hull is never worth buying on the way to
/// a better one), which makes the greedy choice optimal up to the last, partly affordable upgrade. Easy
/// bins stop early (their curve is flat), hopeless ones too; hard-but-solvable bins get the most.
/// </summary>
public static class WaterFilling
{
    /// <summary>
    /// Returns, per problem, the index into its bin's <paramref name="curves"/> entry of the level it
    /// gets. Throws when the total cannot pay even the cheapest level of every problem.
    /// </summary>
    public static int[] Allocate(IReadOnlyList<int> problemBins, IReadOnlyDictionary<int, IReadOnlyList<BudgetLevel>> curves, double total)
    {
        var hulls = new Dictionary<int, int[]>();
        foreach (var (bin, levels) in curves)
        {
            if (levels.Count == 0)
            {
                throw new ArgumentException($"bin {bin} has no budget levels", nameof(curves));
            }

            for (var i = 1; i < levels.Count; i++)
            {
                if (levels[i].Cost <= levels[i - 1].Cost)
                {
                    throw new ArgumentException($"bin {bin}: levels must be in increasing order of cost", nameof(curves));
                }
            }

            hulls[bin] = UpperHull(levels);
        }

        var minimum = 0.0;
        foreach (var bin in problemBins)
        {
            if (!curves.TryGetValue(bin, out var levels))
            {
                throw new ArgumentException($"no accuracy curve for difficulty bin {bin}", nameof(problemBins));
            }

            minimum += levels[0].Cost;
        }

        if (total < minimum)
        {
            throw new ArgumentOutOfRangeException(nameof(total),
                $"total budget {total:0.###} is below {minimum:0.###}, the cheapest level for every problem");
        }

        var remaining = total - minimum;
        var chosen = new int[problemBins.Count];   // index into the curve
        var onHull = new int[problemBins.Count];   // position in the bin's hull
        var queue = new PriorityQueue<int, (double Slope, int Index)>(Comparer<(double Slope, int Index)>.Create(
            (a, b) => a.Slope != b.Slope ? b.Slope.CompareTo(a.Slope) : a.Index.CompareTo(b.Index)));
        for (var i = 0; i < problemBins.Count; i++)
        {
            Offer(i);
        }

        while (queue.TryDequeue(out var problem, out _))
        {
            var levels = curves[problemBins[problem]];
            var hull = hulls[problemBins[problem]];
            var next = levels[hull[onHull[problem] + 1]];
            var cost = next.Cost - levels[chosen[problem]].Cost;
            if (cost > remaining)
            {
                continue; // this upgrade no longer fits; cheaper ones elsewhere may
            }

            remaining -= cost;
            onHull[problem]++;
            chosen[problem] = hull[onHull[problem]];
            Offer(problem);
        }

        return chosen;

        void Offer(int problem)
        {
            var levels = curves[problemBins[problem]];
            var hull = hulls[problemBins[problem]];
            if (onHull[problem] + 1 >= hull.Length)
            {
                return;
            }

            var from = levels[hull[onHull[problem]]];
            var to = levels[hull[onHull[problem] + 1]];
            queue.Enqueue(problem, ((to.Accuracy - from.Accuracy) / (to.Cost - from.Cost), problem));
        }
    }

    /// <summary>
    /// Indices of the levels on the upper concave hull from the cheapest level, stopping at the most
    /// accurate one: the gains per token along it only fall, and each is positive.
    /// </summary>
    public static int[] UpperHull(IReadOnlyList<BudgetLevel> levels)
    {
        var hull = new List<int> { 0 };
        for (var i = 1; i < levels.Count; i++)
        {
            if (levels[i].Accuracy <= levels[hull[^1]].Accuracy)
            {
                continue; // costs more, gains nothing over the hull so far
            }

            while (hull.Count >= 2 && Slope(levels, hull[^2], hull[^1]) <= Slope(levels, hull[^1], i))
            {
                hull.RemoveAt(hull.Count - 1);
            }

            hull.Add(i);
        }

        return [.. hull];
    }

    private static double Slope(IReadOnlyList<BudgetLevel> levels, int a, int b) =>
        (levels[b].Accuracy - levels[a].Accuracy) / (levels[b].Cost - levels[a].Cost);
}
