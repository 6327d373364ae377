namespace Platform.Contracts;

/// <summary>
/// Part of a <see cref="GenerateCandidates"/> whose samples will be scored next, whatever they are: the
/// Generator sends them straight to the Verifier (a <see cref="ScoreCandidates"/> with this request id,
/// kind and model, the samples attached), and the Verifier's <see cref="CandidatesScored"/> brings both
/// back to the Aggregator in one reply. The scoring request is the round after the generation's.
/// </summary>
public record ScoreAfterGeneration
{
    public Guid RequestId { get; init; }

    /// <summary>The scoring's round index (the generation's + 1), set by the Aggregator that owns round numbers.</summary>
    public int Round { get; init; }

    public string Kind { get; init; } = "score";
    public string Model { get; init; } = "";

    /// <summary>What ends a step in the samples (the generator's recipe); null: the verifier's own delimiter.</summary>
    public string? StepDelimiter { get; init; }

    /// <summary>The queue of the Verifier that scored the run's last round (decision 0023); null: any Verifier.</summary>
    public string? Worker { get; init; }

    /// <summary>The key a sample is scored under: its prefix key and sample index.</summary>
    public static string KeyOf(GeneratedSample sample) => $"{sample.PrefixKey}#{sample.SampleIndex}";
}
