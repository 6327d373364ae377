using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Training.Data;

/// <summary>One sampled solution with a Monte-Carlo label per step (fraction of rollouts from that step that reach the right answer).</summary>
public sealed record PrmExample(
    [property: JsonPropertyName("problem")] string Problem,
    [property: JsonPropertyName("answer")] string Answer,
    [property: JsonPropertyName("level")] int Level,
    [property: JsonPropertyName("solution")] string Solution,
    [property: JsonPropertyName("labels")] double[] Labels)
{
    public static IEnumerable<PrmExample> ReadAll(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<PrmExample>(l)!);
}
