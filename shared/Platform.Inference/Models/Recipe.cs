using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Inference.Models;

/// <summary>
/// How a model is prompted and stepped for one use (recipes/*.json, <c>--recipe FILE</c>, or a model's
/// own <c>recipe.json</c>): the system prompt and user turn (rendered with the model's chat template
/// where it has one), the step delimiter search stops at (kept in the step), stop strings, how the
/// answer is read, and the sampling and search settings the recipe was published with.
/// </summary>
public sealed record Recipe
{
    public const string FileName = "recipe.json";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
    };

    public string Name { get; init; } = "default";

    /// <summary>Where the settings come from (a paper, a repository and its commit), for the record.</summary>
    public string? Source { get; init; }

    /// <summary>The system turn; none when null or empty.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>The user turn (or the whole prompt without a chat template); <c>{problem}</c> stands for the problem.</summary>
    public string UserTemplate { get; init; } = "{problem}";

    /// <summary>Render the prompt with the model's chat template when it has one (false: the user template is the raw prompt).</summary>
    public bool UseChatTemplate { get; init; } = true;

    /// <summary>A chat template to use instead of the model's (search-and-learn ships its own), rendered with the model's special tokens.</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>
    /// Tokenize the prompt with the tokenizer's special tokens (a BOS from its post-processor). Unset: not
    /// for a rendered chat template (it writes its own, as <c>apply_chat_template(tokenize=True)</c>),
    /// yes for a raw prompt of a model whose manifest asks for them.
    /// </summary>
    public bool? AddSpecialTokens { get; init; }

    /// <summary>Text that ends one step; step-wise generation stops after it (kept in the step).</summary>
    public string StepDelimiter { get; init; } = "\n\n";

    /// <summary>More strings that end a sample (kept in its text).</summary>
    public List<string> StopStrings { get; init; } = [];

    /// <summary>How the grader reads the answer: "boxed", "arithmetic", "gsm8k", ...</summary>
    public string AnswerFormat { get; init; } = "boxed";

    public int MaxNewTokens { get; init; } = 2048;
    public double Temperature { get; init; } = Platform.Reasoning.Planning.DefaultPolicy.SamplingTemperature;
    public double TopP { get; init; } = 1.0;

    /// <summary>Search settings the recipe was published with (beam width, iterations), where it has them.</summary>
    public int? BeamWidth { get; init; }

    public int? Iterations { get; init; }

    public static Recipe Load(string path)
    {
        Recipe? recipe;
        try
        {
            recipe = JsonSerializer.Deserialize<Recipe>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a valid recipe: {e.Message}", e);
        }

        return (recipe ?? throw new InvalidDataException($"{path} is empty")).Validated(path);
    }

    /// <summary>The recipe, or an error naming the field and its limit.</summary>
    public Recipe Validated(string source)
    {
        string? problem =
            !UserTemplate.Contains("{problem}", StringComparison.Ordinal) ? "user_template must contain {problem}"
            : StepDelimiter.Length == 0 ? "step_delimiter must not be empty"
            : StopStrings.Any(s => s.Length == 0) ? "stop_strings must not hold an empty string"
            : MaxNewTokens is < 1 or > 131_072 ? $"max_new_tokens must be between 1 and 131072 (was {MaxNewTokens})"
            : Temperature is < 0 or > 10 ? $"temperature must be between 0 and 10 (was {Temperature})"
            : TopP is <= 0 or > 1 ? $"top_p must be in (0, 1] (was {TopP})"
            : BeamWidth is < 1 ? $"beam_width must be at least 1 (was {BeamWidth})"
            : Iterations is < 1 ? $"iterations must be at least 1 (was {Iterations})"
            : null;
        return problem is null ? this : throw new InvalidDataException($"{source}: {problem}");
    }

    /// <summary>The recipe a model's own manifest implies (the project's models: their prompt template, step delimiter and answer format).</summary>
    public static Recipe FromManifest(ModelManifest manifest) => new()
    {
        Name = manifest.Name,
        UserTemplate = manifest.PromptTemplate,
        StepDelimiter = manifest.StepDelimiter,
        AnswerFormat = manifest.Answer.Format,
        MaxNewTokens = Math.Max(1, manifest.Architecture.Context),
    };
}
