using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Contracts;
using Platform.Reasoning.Planning;
using Platform.Router.Api;

namespace Platform.Router.OpenAi;

public enum CompletionKind
{
    Chat,
    Text,
}

/// <summary>
/// An OpenAI-compatible request as the platform runs it: a batch of one problem with the batch API's settings.
/// Test-time compute comes from the <c>ttc</c> object (the batch API's setting names) or a model named
/// <c>GENERATOR:STRATEGY@N</c>; with neither, the request is plain sampling and every sample is a choice.
/// </summary>
public sealed record CompletionRequest
{
    public CompletionKind Kind { get; init; }

    /// <summary>The model as the caller named it (responses repeat it).</summary>
    public string Model { get; init; } = "";

    /// <summary>The batch settings, without problems.</summary>
    public SubmitBatch Settings { get; init; } = new();

    public ProblemSubmission Problem { get; init; } = new();

    /// <summary>No test-time strategy was asked for: the request samples n times and every sample is a choice.</summary>
    public bool AllSamples { get; init; }

    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }

    /// <summary>The settings as one string: every line of a batch file must have the same.</summary>
    public string SettingsKey => JsonSerializer.Serialize(Settings with { BatchId = Guid.Empty });
}

/// <summary>Reads chat and text completion bodies strictly: unknown fields, unsupported features and bad values are errors naming the field.</summary>
public static class CompletionRequests
{
    public const string ChatPath = "/v1/chat/completions";
    public const string TextPath = "/v1/completions";

    private static readonly string[] Common = ["model", "n", "stream", "stream_options", "temperature", "top_p", "max_tokens", "seed", "user", "ttc"];
    private static readonly string[] ChatOnly = ["messages", "max_completion_tokens", "metadata", "store", "service_tier", "parallel_tool_calls"];
    private static readonly string[] TextOnly = ["prompt"];

    /// <summary>OpenAI features the platform does not offer, and the values that ask for nothing (accepted).</summary>
    private static readonly Dictionary<string, (Func<JsonElement, bool> Harmless, string Why)> Unsupported = new()
    {
        ["tools"] = (Empty, "tool calling is not supported"),
        ["tool_choice"] = (e => IsNull(e) || e.ValueKind == JsonValueKind.String && e.GetString() == "none", "tool calling is not supported"),
        ["functions"] = (Empty, "function calling is not supported"),
        ["function_call"] = (e => IsNull(e) || e.ValueKind == JsonValueKind.String && e.GetString() == "none", "function calling is not supported"),
        ["logprobs"] = (e => IsNull(e) || e.ValueKind == JsonValueKind.False, "log-probabilities are not returned"),
        ["top_logprobs"] = (e => IsNull(e) || e.ValueKind == JsonValueKind.Number && e.GetDouble() == 0, "log-probabilities are not returned"),
        ["response_format"] = (e => IsNull(e) || e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) && t.GetString() == "text",
            "structured output (json_object, json_schema) is not supported"),
        ["logit_bias"] = (Empty, "logit_bias is not supported"),
        ["presence_penalty"] = (Zero, "presence_penalty is not supported"),
        ["frequency_penalty"] = (Zero, "frequency_penalty is not supported"),
        ["stop"] = (Empty, "stop sequences come from the generator's recipe; stop is not supported"),
        ["audio"] = (IsNull, "audio is not supported"),
        ["modalities"] = (e => IsNull(e) || e.ValueKind == JsonValueKind.Array && e.EnumerateArray().All(m => m.GetString() == "text"), "only text output is supported"),
        ["prediction"] = (IsNull, "predicted outputs are not supported"),
        ["reasoning_effort"] = (IsNull, "reasoning_effort is not supported: ask for test-time compute with ttc"),
        ["web_search_options"] = (IsNull, "web search is not supported"),
        ["echo"] = (e => IsNull(e) || e.ValueKind == JsonValueKind.False, "echo is not supported"),
        ["suffix"] = (e => IsNull(e) || e.ValueKind == JsonValueKind.String && e.GetString() == "", "suffix is not supported"),
        ["best_of"] = (e => IsNull(e) || e.ValueKind == JsonValueKind.Number && e.GetDouble() == 1, "best_of is not supported: ask for test-time compute with ttc (strategy best-of-n)"),
    };

    /// <summary>Batch settings a <c>ttc</c> object may not hold: the request names them itself, or they are the API's.</summary>
    private static readonly string[] NotInTtc = ["batchId", "name", "source", "problems", "generatorModel", "temperature", "topP", "maxNewTokens", "seed"];

    /// <summary>The <c>ttc</c> object's fields: the batch API's settings, and <c>verifier</c> for verifierModel.</summary>
    public static readonly IReadOnlyList<string> TtcFields = [.. BatchBody.TopLevel.Where(f => !NotInTtc.Contains(f)), "verifier"];

    public static (CompletionRequest? Request, OpenAiError? Error) Read(JsonElement body, CompletionKind kind)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Fail("body", "the body must be a JSON object");
        }

        var known = Common.Concat(kind == CompletionKind.Chat ? ChatOnly : TextOnly).ToArray();
        foreach (var p in body.EnumerateObject())
        {
            if (Unsupported.TryGetValue(p.Name, out var u))
            {
                if (!u.Harmless(p.Value))
                {
                    return Fail(p.Name, $"{u.Why} (docs/api.md lists what the OpenAI-compatible API supports)", "unsupported_parameter");
                }
            }
            else if (!known.Contains(p.Name))
            {
                return Fail(p.Name, $"unrecognized request argument supplied: {p.Name} (known: {string.Join(", ", known)})", "unknown_parameter");
            }
        }

        if (!body.TryGetProperty("model", out var modelElement) || modelElement.ValueKind != JsonValueKind.String || modelElement.GetString() is not { Length: > 0 } model)
        {
            return Fail("model", "model is required: a catalog generator, optionally as GENERATOR:STRATEGY@N (GET /v1/models lists them)");
        }

        var (generator, strategy, strategyN, modelError) = ParseModel(model);
        if (modelError is not null)
        {
            return Fail("model", modelError);
        }

        var problem = ReadProblem(body, kind);
        if (problem.Error is not null)
        {
            return (null, problem.Error);
        }

        var n = 1;
        if (body.TryGetProperty("n", out var nElement) && !IsNull(nElement) && (!nElement.TryGetInt32(out n) || n < 1 || n > DefaultPolicy.MaxN))
        {
            return Fail("n", $"n must be an integer between 1 and {DefaultPolicy.MaxN}");
        }

        var hasTtc = body.TryGetProperty("ttc", out var ttc) && !IsNull(ttc);
        if (hasTtc && ttc.ValueKind != JsonValueKind.Object)
        {
            return Fail("ttc", "ttc must be an object of test-time compute settings");
        }

        if ((hasTtc || strategy is not null) && n != 1)
        {
            return Fail("n", "n > 1 asks for plain samples as choices; with a test-time strategy (ttc, or a model named GENERATOR:STRATEGY@N) the answer is one choice: set the samples with ttc.n or @N");
        }

        // The batch API's body for a batch of one: the same names, aliases and validation.
        var batch = new JsonObject { ["generatorModel"] = generator, ["problems"] = new JsonArray(JsonSerializer.SerializeToNode(problem.Problem, ProblemJson)) };
        if (hasTtc)
        {
            foreach (var p in ttc.EnumerateObject())
            {
                if (!TtcFields.Contains(p.Name, StringComparer.OrdinalIgnoreCase))
                {
                    return Fail($"ttc.{p.Name}", $"unknown ttc field '{p.Name}' (known: {string.Join(", ", TtcFields)}; temperature, top_p, max_tokens and seed are the request's own)", "unknown_parameter");
                }

                batch[string.Equals(p.Name, "verifier", StringComparison.OrdinalIgnoreCase) ? "verifierModel" : p.Name] = JsonNode.Parse(p.Value.GetRawText());
            }
        }

        if (strategy is not null)
        {
            if (batch.ContainsKey("strategy") || batch.ContainsKey("n"))
            {
                return Fail("model", "the model names a strategy; give it either there (GENERATOR:STRATEGY@N) or in ttc, not both");
            }

            batch["strategy"] = strategy;
            if (strategyN is { } sn)
            {
                batch["n"] = sn;
            }
        }
        else if (!hasTtc)
        {
            batch["strategy"] = Strategies.SelfConsistency;
            batch["n"] = n;
        }

        foreach (var (from, to) in new[] { ("temperature", "temperature"), ("top_p", "topP"), ("max_tokens", "maxNewTokens"), ("max_completion_tokens", "maxNewTokens"), ("seed", "seed") })
        {
            if (body.TryGetProperty(from, out var v) && !IsNull(v))
            {
                batch[to] = JsonNode.Parse(v.GetRawText());
            }
        }

        var (settings, errors) = BatchBody.Read(JsonSerializer.SerializeToUtf8Bytes(batch));
        if (settings is null)
        {
            var first = errors[0];
            return Fail(Param(first.Field, kind), $"{Param(first.Field, kind)}: {first.Message}");
        }

        var (stream, includeUsage) = (false, false);
        if (body.TryGetProperty("stream", out var s) && !IsNull(s))
        {
            if (s.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return Fail("stream", "stream must be true or false");
            }

            stream = s.GetBoolean();
        }

        if (body.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object && so.TryGetProperty("include_usage", out var iu))
        {
            includeUsage = iu.ValueKind == JsonValueKind.True;
        }

        return (new CompletionRequest
        {
            Kind = kind, Model = model, Settings = settings with { Problems = [] }, Problem = settings.Problems[0], AllSamples = strategy is null && !hasTtc,
            Stream = stream, IncludeUsage = includeUsage,
        }, null);
    }

    /// <summary>
    /// Only the problem of a body (its messages or prompt), for a batch file line whose other fields are those of a
    /// line already read in full (<see cref="SettingsText"/> equal): the settings are that line's.
    /// </summary>
    public static (ProblemSubmission? Problem, OpenAiError? Error) ReadProblem(JsonElement body, CompletionKind kind) =>
        kind == CompletionKind.Chat ? Messages(body) : Prompt(body);

    /// <summary>A body's fields but its messages or prompt, as sent: two bodies with the same text ask for the same settings.</summary>
    public static string SettingsText(JsonElement body) =>
        body.ValueKind != JsonValueKind.Object ? body.GetRawText()
        : string.Join(",", body.EnumerateObject().Where(p => p.Name is not ("messages" or "prompt")).Select(p => p.Name + ":" + p.Value.GetRawText()));

    private static readonly JsonSerializerOptions ProblemJson = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The OpenAI parameter a batch-API field (or a contract field, as a rejection names it) comes from.</summary>
    public static string Param(string field, CompletionKind kind)
    {
        var camel = field.Length > 0 ? char.ToLowerInvariant(field[0]) + field[1..] : field;
        return camel switch
        {
            _ when camel.StartsWith("problems", StringComparison.Ordinal) || camel.StartsWith("messages", StringComparison.Ordinal) || camel == "text" =>
                kind == CompletionKind.Chat ? camel.StartsWith("messages", StringComparison.Ordinal) ? camel : "messages" : "prompt",
            "generatorModel" => "model",
            "topP" => "top_p",
            "maxNewTokens" => "max_tokens",
            "temperature" or "seed" => camel,
            _ => $"ttc.{camel}",
        };
    }

    /// <summary><c>GENERATOR</c>, <c>GENERATOR:STRATEGY</c> or <c>GENERATOR:STRATEGY@N</c> (the canonical form).</summary>
    public static (string Generator, string? Strategy, int? N, string? Error) ParseModel(string model)
    {
        var colon = model.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return (model, null, null, null);
        }

        var generator = model[..colon];
        var rest = model[(colon + 1)..];
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        var strategy = at < 0 ? rest : rest[..at];
        int? n = null;
        if (at >= 0)
        {
            if (!int.TryParse(rest[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < 1 || parsed > DefaultPolicy.MaxN)
            {
                return (generator, strategy, null, $"'{model}': after @ comes the number of samples, 1 to {DefaultPolicy.MaxN} (the form is GENERATOR:STRATEGY@N)");
            }

            n = parsed;
        }

        return generator.Length == 0 || strategy.Length == 0
            ? (generator, strategy, n, $"'{model}': the form is GENERATOR:STRATEGY@N, e.g. gen-small:weighted-best-of-n@16")
            : Strategies.Check(strategy) is { } bad ? (generator, strategy, n, $"'{model}': {bad}") : (generator, strategy, n, null);
    }

    private static (ProblemSubmission? Problem, OpenAiError? Error) Messages(JsonElement body)
    {
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            return (null, OpenAiError.Invalid("messages", "messages is required: a non-empty array of {role, content}"));
        }

        var turns = new List<ChatTurn>(messages.GetArrayLength());
        var i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            var path = $"messages[{i++}]";
            if (m.ValueKind != JsonValueKind.Object)
            {
                return (null, OpenAiError.Invalid(path, "a message must be an object with role and content"));
            }

            string? role = null, content = null;
            foreach (var p in m.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "role":
                        role = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                        break;
                    case "content":
                        if (Content(p.Value) is not { } text)
                        {
                            return (null, OpenAiError.Invalid($"{path}.content", "content must be a string or an array of text parts (images, audio and files are not supported)", "unsupported_content"));
                        }

                        content = text;
                        break;
                    case "name":
                        break;
                    default:
                        if (!IsNull(p.Value))
                        {
                            return (null, OpenAiError.Invalid($"{path}.{p.Name}", $"'{p.Name}' is not supported in a message (tool calls and audio are not supported)", "unsupported_parameter"));
                        }

                        break;
                }
            }

            if (content is null)
            {
                return (null, OpenAiError.Invalid($"{path}.content", "content is required (text; tool calls are not supported)"));
            }

            turns.Add(new ChatTurn { Role = role ?? "", Content = content });
        }

        if (turns[^1].Role != "user")
        {
            return (null, OpenAiError.Invalid($"messages[{turns.Count - 1}].role", $"the last message must be a user turn, which the model answers (was '{turns[^1].Role}')"));
        }

        // The problem's text is the last user turn (what the verifier scores against, what analysts read); the turns before it travel with it.
        return (new ProblemSubmission { Text = turns[^1].Content, Conversation = turns[..^1] }, null);
    }

    private static (ProblemSubmission? Problem, OpenAiError? Error) Prompt(JsonElement body)
    {
        if (!body.TryGetProperty("prompt", out var prompt))
        {
            return (null, OpenAiError.Invalid("prompt", "prompt is required: a string"));
        }

        var text = prompt.ValueKind switch
        {
            JsonValueKind.String => prompt.GetString(),
            JsonValueKind.Array when prompt.GetArrayLength() == 1 && prompt[0].ValueKind == JsonValueKind.String => prompt[0].GetString(),
            _ => null,
        };
        return text is null
            ? (null, OpenAiError.Invalid("prompt", "prompt must be one string (a list of prompts or token ids is not supported: send one request per prompt, or a batch file)", "unsupported_parameter"))
            : (new ProblemSubmission { Text = text, RawPrompt = true }, null);
    }

    /// <summary>A message's text: a string, or text parts joined.</summary>
    private static string? Content(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString(),
        JsonValueKind.Array when content.EnumerateArray().All(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("type", out var t) && t.GetString() == "text"
            && p.TryGetProperty("text", out var x) && x.ValueKind == JsonValueKind.String) => string.Concat(content.EnumerateArray().Select(p => p.GetProperty("text").GetString())),
        _ => null,
    };

    private static (CompletionRequest?, OpenAiError?) Fail(string param, string message, string? code = null) => (null, OpenAiError.Invalid(param, message, code));

    private static bool IsNull(JsonElement e) => e.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    private static bool Empty(JsonElement e) => IsNull(e) || e.ValueKind is JsonValueKind.Array && e.GetArrayLength() == 0 || e.ValueKind is JsonValueKind.Object && !e.EnumerateObject().Any();

    private static bool Zero(JsonElement e) => IsNull(e) || e.ValueKind == JsonValueKind.Number && e.GetDouble() == 0;
}
