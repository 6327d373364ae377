using Platform.Reasoning.Planning;

namespace Platform.Reasoning.Selection;

/// <summary>The final pick of the sampling strategies (greedy, self-consistency, best-of-N, weighted best-of-N).</summary>
public static class StrategySelection
{
    /// <summary>
    /// Index of the chosen candidate. <paramref name="stepScores"/> is required for the PRM strategies.
    /// When no candidate has an answer the first candidate is returned, so the run still records what it produced.
    /// </summary>
    public static int Select(string strategy, StepAggregation aggregation, IReadOnlyList<string?> answers, IReadOnlyList<IReadOnlyList<double>>? stepScores)
    {
        if (answers.Count == 0)
        {
            throw new ArgumentException("there are no candidates to select from");
        }

        IReadOnlyList<double> Scores()
        {
            if (stepScores is null || stepScores.Count != answers.Count)
            {
                throw new ArgumentException($"strategy '{strategy}' needs step scores for all {answers.Count} candidates");
            }

            return stepScores.Select(s => aggregation.Aggregate(s)).ToList();
        }

        var chosen = strategy switch
        {
            Strategies.Greedy or Strategies.BudgetForcing => 0,
            Strategies.SelfConsistency => AnswerSelection.Majority(answers),
            Strategies.BestOfN => AnswerSelection.Best(answers, Scores()),
            Strategies.WeightedBestOfN => AnswerSelection.Weighted(answers, Scores()),
            _ => throw new ArgumentException($"strategy '{strategy}' does not select from a sample pool"),
        };
        return chosen ?? 0;
    }
}
