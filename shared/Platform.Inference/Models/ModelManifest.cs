using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Inference.Models;

/// <summary>
/// <c>model.json</c> beside <c>model.onnx</c>: what the runtime needs to drive the graph and to
/// account for its compute. Written by the training tool; derived from <c>config.json</c> for a
/// Hugging Face Optimum export that has none.
/// </summary>
public sealed record ModelManifest
{
    public const string FileName = "model.json";
    public const string CurrentFormat = "ttc-model/1";

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string Format { get; init; } = CurrentFormat;
    public string Name { get; init; } = "";

    /// <summary>
    /// "decoder" (a generator), "prm" (a process reward model: a score per step) or "orm" (an outcome
    /// reward model: trained on final correctness; read the same way, its last score judges the solution).
    /// </summary>
    public string Kind { get; init; } = "decoder";

    public OnnxFile Onnx { get; init; } = new();
    public ArchitectureInfo Architecture { get; init; } = new();

    public long Parameters { get; init; }

    /// <summary>config.json's <c>architectures</c> (e.g. Qwen2ForProcessRewardModel), where the folder has one.</summary>
    public IReadOnlyList<string> Architectures { get; init; } = [];

    /// <summary>The weights' element type as stored in the graph (float32, float16, ...), where it was read.</summary>
    public string? WeightType { get; init; }

    /// <summary>The KV cache's element type (the graph's past_key_values inputs), where it was read; float32 otherwise.</summary>
    public string? CacheType { get; init; }

    /// <summary>Forward FLOPs per token excluding attention: 2 x parameters.</summary>
    public long FlopsPerToken { get; init; }

    /// <summary>Attention FLOPs per token per attended position: 4 x layers x d_model (QK and AV).</summary>
    public long AttentionFlopsPerPosition { get; init; }

    public TokenizerInfo Tokenizer { get; init; } = new();
    public SpecialTokens SpecialTokens { get; init; } = new();

    /// <summary>The prompt layout; <c>{problem}</c> stands for the problem text.</summary>
    public string PromptTemplate { get; init; } = "{problem}";

    /// <summary>Encode prompts with the tokenizer's special tokens, as <c>tokenizer(text)</c> does (the project's own models: a BOS first; a Hugging Face tokenizer: what its post-processor adds).</summary>
    public bool AddBos { get; init; } = true;

    /// <summary>Text that ends one reasoning step.</summary>
    public string StepDelimiter { get; init; } = "\n";

    public AnswerInfo Answer { get; init; } = new();

    /// <summary>For budget forcing: the marker the model writes when it stops thinking, if it has one.</summary>
    public string? EndOfThinking { get; init; }

    /// <summary>For a PRM: how step scores are read.</summary>
    public VerifierInfo? Verifier { get; init; }

    /// <summary>For a revision model: how earlier attempts are shown to it.</summary>
    public RevisionInfo? Revision { get; init; }

    /// <summary>Training provenance: run, seed, data, tokens seen.</summary>
    public Dictionary<string, JsonElement>? Training { get; init; }
}

public sealed record OnnxFile
{
    public string File { get; init; } = "model.onnx";

    /// <summary>Lower-case hex SHA-256 of the file; a mismatch means a corrupt or replaced model.</summary>
    public string? Sha256 { get; init; }

    public int Opset { get; init; }
}

public sealed record ArchitectureInfo
{
    public string Type { get; init; } = "gpt2-preln";
    public int Layers { get; init; }
    public int Heads { get; init; }
    public int KvHeads { get; init; }
    public int HeadDim { get; init; }
    public int DModel { get; init; }
    public int DFf { get; init; }
    public int Context { get; init; }
    public int VocabSize { get; init; }
}

public sealed record TokenizerInfo
{
    /// <summary>"char" (vocabulary listed here) or "tokenizer.json" (a Hugging Face tokenizer file).</summary>
    public string Type { get; init; } = "char";

    public List<string>? Vocabulary { get; init; }
    public string? TokenizerFile { get; init; }
}

public sealed record SpecialTokens
{
    public int Pad { get; init; }
    public int? Bos { get; init; }
    public int Eos { get; init; }

    /// <summary>Every id that ends a sample (<c>eos_token_id</c> given as a list, as Llama 3 and Qwen2.5 ship it); <see cref="Eos"/> is the first.</summary>
    public List<int>? EndIds { get; init; }
}

public sealed record AnswerInfo
{
    /// <summary>The answer line's prefix ("A: "), or null for free-form answers.</summary>
    public string? Prefix { get; init; }

    /// <summary>"arithmetic", "gsm8k", "boxed" ...: how the grader extracts the answer.</summary>
    public string Format { get; init; } = "arithmetic";
}

public sealed record RevisionInfo
{
    /// <summary>The line written after every earlier attempt (each attempt ends with a newline before it).</summary>
    public string Separator { get; init; } = "==\n";

    /// <summary>Earlier attempts the model was trained to read, at most.</summary>
    public int MaxAttempts { get; init; } = 4;
}

public sealed record VerifierInfo
{
    /// <summary>Graph output holding per-position scores.</summary>
    public string Output { get; init; } = "scores";

    /// <summary>
    /// "step_delimiter": the score of a step is read at the last token of its delimiter (a score head).
    /// "step_likelihood": a generative verifier — the graph is a decoder (output "logits"); a step's
    /// probability is the product of the probabilities the model gives its tokens, and its score is
    /// the lowest step probability so far (every step up to here is one the model would write).
    /// </summary>
    public string ReadAt { get; init; } = "step_delimiter";

    /// <summary>"probability" (already in [0, 1]) or "sigmoid" (apply it).</summary>
    public string Transform { get; init; } = "probability";

    /// <summary>Generative verifiers: how step probabilities make a step's score — "min" (the least so far) or "product" (the prefix's probability).</summary>
    public string Combine { get; init; } = "min";
}
