using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Training.Data;

/// <summary>
/// One (possibly partial) solution with a label per step and the outcome of the whole solution.
/// Step labels come from the chosen source: Monte-Carlo rollouts (the fraction of rollouts from that
/// step that reach the right answer, as in Math-Shepherd) or the exact step checker (1 while every step
/// so far is right, 0 from the first wrong one: the analogue of PRM800K's human labels).
/// </summary>
public sealed record PrmExample(
    [property: JsonPropertyName("problem")] string Problem,
    [property: JsonPropertyName("answer")] string Answer,
    [property: JsonPropertyName("level")] int Level,
    [property: JsonPropertyName("solution")] string Solution,
    [property: JsonPropertyName("labels")] double[] Labels)
{
    /// <summary>1 when the solution ends in the right answer (what an outcome reward model learns), else 0.</summary>
    [JsonPropertyName("outcome")] public double Outcome { get; init; }

    /// <summary>Where the step labels came from: "rollouts" or "checker".</summary>
    [JsonPropertyName("label_source")] public string LabelSource { get; init; } = "rollouts";

    /// <summary>"sample" (drawn from the generator) or "corrupted:KIND" (a reference prefix with one wrong step).</summary>
    [JsonPropertyName("origin")] public string Origin { get; init; } = "sample";

    public static IEnumerable<PrmExample> ReadAll(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<PrmExample>(l)!);
}
