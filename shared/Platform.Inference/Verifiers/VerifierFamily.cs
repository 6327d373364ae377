using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Inference.Models;

namespace Platform.Inference.Verifiers;

/// <summary>
/// Which public reward-model family a verifier folder is, and the family's settings where they differ
/// from the published defaults: from <c>verifier.json</c> beside the model, else from config.json's
/// <c>architectures</c> (…ForProcessRewardModel: qwen-prm; …ForSequenceClassification: outcome). The
/// project's own verifiers (model.json of kind prm or orm) are the family "own".
/// </summary>
public sealed record VerifierFamily
{
    public const string FileName = "verifier.json";
    public const string QwenPrm = "qwen-prm";
    public const string MathShepherd = "math-shepherd";
    public const string ChatJudge = "chat-judge";
    public const string ValueHead = "value-head";
    public const string Outcome = "outcome";
    public const string Own = "own";

    /// <summary>The families a verifier.json may name.</summary>
    public static readonly IReadOnlyList<string> Names = [QwenPrm, MathShepherd, ChatJudge, ValueHead, Outcome, Own];

    /// <summary>Qwen2.5-Math-PRM's system prompt, as its model card writes it.</summary>
    public const string QwenPrmSystemPrompt = "Please reason step by step, and put your final answer within \\boxed{}.";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string Family { get; init; } = "";

    /// <summary>qwen-prm: the system turn (the card's by default); math-shepherd: a line written before the problem (none by default).</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>qwen-prm: the step separator token (<c>&lt;extra_0&gt;</c>); math-shepherd: the step tag (<c>ки</c>); value-head: the step token (default: the run's step delimiter).</summary>
    public string? StepTag { get; init; }

    /// <summary>math-shepherd and chat-judge: the token that says a step is right (<c>+</c>) and the one that says it is wrong (<c>-</c>).</summary>
    public string GoodToken { get; init; } = "+";

    public string BadToken { get; init; } = "-";

    /// <summary>The graph output read (<c>logits</c>; <c>values</c> for a value head).</summary>
    public string? Output { get; init; }

    /// <summary>value-head and outcome: "sigmoid" (default) or "none" (the head's value as it is).</summary>
    public string Transform { get; init; } = "sigmoid";

    public string OutputName => Output ?? (Family == ValueHead ? "values" : "logits");

    /// <summary>The family of a model folder, or an error naming both ways to say it.</summary>
    public static VerifierFamily Of(ModelDirectory model)
    {
        var path = Path.Combine(model.Path, FileName);
        if (File.Exists(path))
        {
            VerifierFamily? family;
            try
            {
                family = JsonSerializer.Deserialize<VerifierFamily>(File.ReadAllText(path), Json);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path} is not a valid verifier file: {e.Message}", e);
            }

            return (family ?? throw new InvalidDataException($"{path} is empty")).Validated(path);
        }

        if (File.Exists(Path.Combine(model.Path, ModelManifest.FileName)))
        {
            return model.Manifest.Kind is "prm" or "orm" ? new VerifierFamily { Family = Own }
                : throw new InvalidDataException($"{Path.Combine(model.Path, ModelManifest.FileName)}: kind is \"{model.Manifest.Kind}\", a verifier needs \"prm\" or \"orm\"");
        }

        var architectures = model.Manifest.Architectures;
        if (architectures.Any(a => a.EndsWith("ForProcessRewardModel", StringComparison.Ordinal)))
        {
            return new VerifierFamily { Family = QwenPrm };
        }

        if (architectures.Any(a => a.EndsWith("ForSequenceClassification", StringComparison.Ordinal)))
        {
            return new VerifierFamily { Family = Outcome };
        }

        throw new InvalidDataException(
            $"{model.Path}: cannot tell which verifier family this is: config.json's architectures ({(architectures.Count == 0 ? "none" : string.Join(", ", architectures))}) " +
            $"name no reward-model head (…ForProcessRewardModel, …ForSequenceClassification) and there is no {FileName}; " +
            $"add {FileName} with {{\"family\": \"{string.Join("\" | \"", Names.Where(n => n != Own))}\"}}");
    }

    private VerifierFamily Validated(string path)
    {
        var problem = !Names.Contains(Family) ? $"family must be one of {string.Join(", ", Names)} (was \"{Family}\")"
            : Transform is not ("sigmoid" or "none") ? $"transform must be sigmoid or none (was \"{Transform}\")"
            : GoodToken.Length == 0 || BadToken.Length == 0 || GoodToken == BadToken ? "good_token and bad_token must be two different, non-empty strings"
            : StepTag is { Length: 0 } ? "step_tag must not be empty"
            : null;
        return problem is null ? this : throw new InvalidDataException($"{path}: {problem}");
    }
}
