namespace Platform.Inference.Runtime;

/// <summary>
/// Identical solutions in one scoring call are scored once. A search keeps identical partial solutions
/// as separate nodes and a confident generator writes the same step many times (on the held-out
/// arithmetic set, 16 samples of a problem hold 4 distinct solutions on average), so the verifier would
/// otherwise compute the same scores again. A repeat gets the first one's scores; its tokens are counted
/// as scored and as read from a cache, with no FLOPs and no device time of its own.
/// </summary>
internal static class RepeatedSolutions
{
    public static IReadOnlyList<StepScores> ScoreOnce(IReadOnlyList<ScoreRequest> requests, Func<IReadOnlyList<ScoreRequest>, IReadOnlyList<StepScores>> score)
    {
        var first = new Dictionary<ScoreRequest, int>(requests.Count);
        var distinct = new List<ScoreRequest>(requests.Count);
        var of = new int[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            if (!first.TryGetValue(requests[i], out var d))
            {
                first[requests[i]] = d = distinct.Count;
                distinct.Add(requests[i]);
            }

            of[i] = d;
        }

        if (distinct.Count == requests.Count)
        {
            return score(requests);
        }

        var scored = score(distinct);
        var taken = new bool[distinct.Count];
        var results = new StepScores[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            var s = scored[of[i]];
            results[i] = taken[of[i]] ? s with { Usage = s.Usage with { CachedScoredTokens = s.Usage.ScoredTokens, Flops = 0, DeviceMilliseconds = 0 } } : s;
            taken[of[i]] = true;
        }

        return results;
    }
}
