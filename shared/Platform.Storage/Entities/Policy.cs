namespace Platform.Storage.Entities;

/// <summary>
/// One cell of a compute-optimal policy: for a difficulty bin and a budget, the strategy to use.
/// (Version, DifficultyBin, Budget) is its business key.
/// </summary>
public class Policy
{
    public Guid Id { get; set; }
    public int Version { get; set; }
    public int DifficultyBin { get; set; }

    /// <summary>Budget in samples (generations) per problem.</summary>
    public int Budget { get; set; }

    public string Strategy { get; set; } = "";
    public string ParametersJson { get; set; } = "{}";

    /// <summary>Accuracy the sweep measured for this choice.</summary>
    public double Accuracy { get; set; }

    public double MeanGeneratedTokens { get; set; }
    public Guid? SweepId { get; set; }
    public bool Active { get; set; }
    public DateTimeOffset FittedAt { get; set; }
}
