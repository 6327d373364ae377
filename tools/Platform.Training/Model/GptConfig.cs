using System.Text.Json.Serialization;

namespace Platform.Training.Model;

/// <summary>Shape of a GPT-2-style pre-LayerNorm decoder (fused QKV projection, exact GELU, untied output head).</summary>
public sealed record GptConfig
{
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }
    [JsonPropertyName("context")] public int Context { get; init; } = 128;
    [JsonPropertyName("layers")] public int Layers { get; init; }
    [JsonPropertyName("heads")] public int Heads { get; init; }
    [JsonPropertyName("d_model")] public int DModel { get; init; }
    [JsonPropertyName("d_ff")] public int DFF { get; init; }

    /// <summary>Output head: 0 for the language-model head (one logit per vocabulary entry), 1 for a PRM score head.</summary>
    [JsonPropertyName("score_head")] public bool ScoreHead { get; init; }

    [JsonIgnore] public int HeadDim => DModel / Heads;

    /// <summary>~0.8M parameters: the paper's "small model".</summary>
    public static GptConfig Small(int vocab) => new() { VocabSize = vocab, Layers = 4, Heads = 4, DModel = 128, DFF = 512 };

    /// <summary>~3.6M parameters (4.4x small): the "larger model" compared at matched FLOPs.</summary>
    public static GptConfig Large(int vocab) => new() { VocabSize = vocab, Layers = 8, Heads = 6, DModel = 192, DFF = 768 };

    public static GptConfig Named(string name, int vocab) => name switch
    {
        "small" => Small(vocab),
        "large" => Large(vocab),
        _ => throw new ArgumentException($"unknown model size '{name}' (small, large)"),
    };

    /// <summary>Parameter count, computed from the shape (equals the sum of the module's parameter sizes).</summary>
    [JsonIgnore]
    public long Parameters
    {
        get
        {
            long d = DModel, f = DFF;
            var perLayer = 2 * (2 * d) + (d * 3 * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d);
            var head = ScoreHead ? d + 1 : d * VocabSize;
            return VocabSize * d + Context * d + Layers * perLayer + 2 * d + head;
        }
    }

    public void Validate()
    {
        if (DModel % Heads != 0)
        {
            throw new ArgumentException($"d_model {DModel} is not divisible by heads {Heads}");
        }
    }
}
