using System.Text.Json.Serialization;

namespace Platform.Storage.Queries;

/// <summary>
/// The compute columns as the results API and the CLI's reports write them: one declaration of their JSON names
/// for every shape that carries them (a problem's result, a batch's report).
/// </summary>
public abstract record ComputeTotals
{
    [JsonPropertyName("prompt_tokens")] public long PromptTokens { get; init; }
    [JsonPropertyName("cached_prompt_tokens")] public long CachedPromptTokens { get; init; }
    [JsonPropertyName("generated_tokens")] public long GeneratedTokens { get; init; }
    [JsonPropertyName("scored_tokens")] public long ScoredTokens { get; init; }
    [JsonPropertyName("cached_scored_tokens")] public long CachedScoredTokens { get; init; }
    [JsonPropertyName("flops")] public double Flops { get; init; }
}
