using System.Text.Json;
using Platform.Reasoning.Planning;

namespace Platform.Reasoning.Search;

/// <summary>The search parameters of a plan: budget N, beam width M (default √N), rounds, lookahead, iterations.</summary>
public sealed record SearchParameters(string Strategy, int N, int BeamWidth, int MaxRounds, int Lookahead, int Iterations, double Exploration,
    long TokenBudget = 0, bool SelectByValue = false);

/// <summary>Creates, saves and restores the controller of a search strategy.</summary>
public static class SearchPlans
{
    public static bool IsSearch(string strategy) => strategy is Strategies.BeamSearch or Strategies.Lookahead or Strategies.Dvts or Strategies.Mcts;

    /// <summary>The default beam width: the largest divisor of N not above √N (4 for 16, 8 for 64, 2 for 4 and 8).</summary>
    public static int DefaultWidth(int n)
    {
        var best = 1;
        for (var m = 1; m * m <= n; m++)
        {
            if (n % m == 0)
            {
                best = m;
            }
        }

        return best;
    }

    public static (object Controller, SearchCommand First) Start(SearchParameters p)
    {
        var width = p.BeamWidth > 0 ? p.BeamWidth : DefaultWidth(p.N);
        switch (p.Strategy)
        {
            case Strategies.Mcts:
                var iterations = p.Iterations > 0 ? p.Iterations : Math.Max(1, p.N / width);
                return Mcts.Start(new MctsSettings
                {
                    Iterations = iterations, Branching = width, Exploration = p.Exploration > 0 ? p.Exploration : 1.0,
                    TokenBudget = p.TokenBudget, SelectByValue = p.SelectByValue,
                });
            default:
                return BeamSearch.Start(new BeamSettings
                {
                    N = p.N, M = width, MaxRounds = p.MaxRounds > 0 ? p.MaxRounds : 40, Diverse = p.Strategy == Strategies.Dvts,
                    Lookahead = p.Strategy == Strategies.Lookahead ? (p.Lookahead > 0 ? p.Lookahead : 1) : 0,
                });
        }
    }

    public static string Save(object controller) => JsonSerializer.Serialize(controller, controller.GetType());

    public static object Load(string strategy, string json) => strategy == Strategies.Mcts
        ? JsonSerializer.Deserialize<Mcts>(json)!
        : JsonSerializer.Deserialize<BeamSearch>(json)!;

    public static SearchCommand OnExpanded(object c, IReadOnlyList<Continuation> x) => c switch
    {
        BeamSearch b => b.OnExpanded(x),
        Mcts m => m.OnExpanded(x),
        _ => throw new ArgumentException("not a search controller"),
    };

    public static SearchCommand OnRolledOut(object c, IReadOnlyList<Continuation> x) => c switch
    {
        BeamSearch b => b.OnRolledOut(x),
        Mcts m => m.OnRolledOut(x),
        _ => throw new ArgumentException("not a search controller"),
    };

    public static SearchCommand OnScored(object c, IReadOnlyDictionary<string, IReadOnlyList<double>> s) => c switch
    {
        BeamSearch b => b.OnScored(s),
        Mcts m => m.OnScored(s),
        _ => throw new ArgumentException("not a search controller"),
    };

    public static IReadOnlyDictionary<string, SearchNode> Nodes(object c) => c switch
    {
        BeamSearch b => b.Nodes,
        Mcts m => m.Nodes,
        _ => throw new ArgumentException("not a search controller"),
    };

    /// <summary>Nodes created by the last expansion (to store as candidates, then to score).</summary>
    public static IReadOnlyList<string> Fresh(object c) => c switch
    {
        BeamSearch b => b.Fresh,
        Mcts m => m.Fresh,
        _ => throw new ArgumentException("not a search controller"),
    };
}
