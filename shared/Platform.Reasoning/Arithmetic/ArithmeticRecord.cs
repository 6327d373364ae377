using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Reasoning.Arithmetic;

/// <summary>One line of an arithmetic data set file.</summary>
public sealed record ArithmeticRecord(
    [property: JsonPropertyName("problem")] string Problem,
    [property: JsonPropertyName("answer")] string Answer,
    [property: JsonPropertyName("level")] int Level,
    [property: JsonPropertyName("digits")] int Digits,
    [property: JsonPropertyName("nested")] bool Nested,
    [property: JsonPropertyName("solution")] string? Solution = null)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static IEnumerable<ArithmeticRecord> ReadAll(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<ArithmeticRecord>(l, Json)!);
}
