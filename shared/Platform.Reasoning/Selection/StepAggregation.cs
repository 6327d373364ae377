namespace Platform.Reasoning.Selection;

/// <summary>How a candidate's per-step PRM scores become one score.</summary>
public enum StepAggregation
{
    /// <summary>The last step's score (Snell et al.'s choice).</summary>
    Last,

    /// <summary>The weakest step.</summary>
    Min,

    /// <summary>The product: the probability that every step is right, if steps were independent.</summary>
    Prod,

    Mean,
}

public static class StepAggregations
{
    public static StepAggregation Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "last" => StepAggregation.Last,
        "min" => StepAggregation.Min,
        "prod" or "product" => StepAggregation.Prod,
        "mean" => StepAggregation.Mean,
        _ => throw new ArgumentException($"aggregation must be one of last, min, prod, mean (was '{text}')"),
    };

    public static string Name(this StepAggregation aggregation) => aggregation.ToString().ToLowerInvariant();

    /// <summary>One score from step scores; a candidate without steps scores 0.</summary>
    public static double Aggregate(this StepAggregation aggregation, IReadOnlyList<double> steps)
    {
        if (steps.Count == 0)
        {
            return 0;
        }

        return aggregation switch
        {
            StepAggregation.Last => steps[^1],
            StepAggregation.Min => steps.Min(),
            StepAggregation.Prod => steps.Aggregate(1.0, (p, s) => p * s),
            StepAggregation.Mean => steps.Average(),
            _ => throw new ArgumentOutOfRangeException(nameof(aggregation)),
        };
    }
}
