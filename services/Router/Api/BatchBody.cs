using System.Text.Json;
using Platform.Contracts;
using Platform.Reasoning.Ingestion;

namespace Platform.Router.Api;

/// <summary>A problem with the request body: the field (a JSON path) and what is wrong with it.</summary>
public sealed record BodyError(string Field, string Message);

/// <summary>
/// Reads a <c>POST /batches</c> body strictly: JSON that does not parse is an error with its position;
/// every field must be known — an unknown one is named, with the right name when it is a common alias
/// (<c>answer</c> in the API layout → <c>referenceAnswer</c>); problems may use the API layout
/// (<c>text</c>, <c>referenceAnswer</c>, <c>level</c>, <c>subject</c>, <c>externalId</c>) or any layout the
/// CLI reads (arithmetic, GSM8K, MATH-500), converted here.
/// </summary>
public static class BatchBody
{
    /// <summary>The body's top-level fields (the batch settings and <c>problems</c>), as the API names them.</summary>
    public static readonly IReadOnlyList<string> TopLevel =
    [
        "batchId", "name", "source", "problems", "strategy", "n", "aggregation", "beamWidth", "lookahead", "iterations", "searchTokenBudget",
        "selectByValue", "budgetForcing", "tokenBudget", "budget", "chains", "chainLength", "revisionSelection", "earlyStop", "confidence", "reviseModel", "generatorModel", "verifierModel", "seed",
        "priority", "temperature", "topP", "maxNewTokens",
    ];

    private static readonly string[] ApiProblem = ["text", "referenceAnswer", "level", "subject", "externalId", "difficultyBin", "conversation", "rawPrompt"];

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["samples"] = "n", ["model"] = "generatorModel", ["generator"] = "generatorModel", ["verifier"] = "verifierModel", ["prm"] = "verifierModel",
        ["problem"] = "problems", ["items"] = "problems", ["id"] = "batchId",
    };

    private static readonly Dictionary<string, string> ApiAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["answer"] = "referenceAnswer", ["reference"] = "referenceAnswer", ["gold"] = "referenceAnswer", ["problem"] = "text",
        ["question"] = "text", ["id"] = "externalId", ["unique_id"] = "externalId",
    };

    private static readonly Dictionary<string, string> FileAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["referenceAnswer"] = "answer", ["reference"] = "answer", ["gold"] = "answer", ["text"] = "problem", ["externalId"] = "id",
    };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static (SubmitBatch? Batch, List<BodyError> Errors) Read(ReadOnlySpan<byte> body, int maxErrors = 20)
    {
        var errors = new List<BodyError>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            errors.Add(new BodyError(e.Path is { Length: > 0 } p ? p : "$",
                $"the body is not valid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}: {FirstSentence(e.Message)}"));
            return (null, errors);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new BodyError("$", "the body must be a JSON object"));
                return (null, errors);
            }

            foreach (var property in root.EnumerateObject())
            {
                if (!TopLevel.Contains(property.Name, StringComparer.OrdinalIgnoreCase))
                {
                    errors.Add(Unknown(property.Name, property.Name, TopLevel, Aliases));
                }
            }

            var problems = new List<ProblemSubmission>();
            if (!root.TryGetPropertyIgnoringCase("problems", out var array) || array.ValueKind != JsonValueKind.Array)
            {
                errors.Add(new BodyError("problems", "required: an array of problems"));
            }
            else
            {
                var i = 0;
                foreach (var item in array.EnumerateArray())
                {
                    if (errors.Count >= maxErrors)
                    {
                        break;
                    }

                    if (Problem(item, $"problems[{i}]", errors) is { } p)
                    {
                        problems.Add(p);
                    }

                    i++;
                }
            }

            if (errors.Count > 0)
            {
                return (null, errors);
            }

            SubmitBatch settings;
            try
            {
                // Everything but the problems binds as the contract does (names already checked).
                var withoutProblems = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
                foreach (var property in root.EnumerateObject().Where(p => !string.Equals(p.Name, "problems", StringComparison.OrdinalIgnoreCase)))
                {
                    withoutProblems[property.Name] = property.Value;
                }

                settings = JsonSerializer.Deserialize<SubmitBatch>(JsonSerializer.Serialize(withoutProblems), Json)!;
            }
            catch (JsonException e)
            {
                errors.Add(new BodyError(e.Path?.TrimStart('$', '.') is { Length: > 0 } p ? p : "$", FirstSentence(e.Message)));
                return (null, errors);
            }

            return (settings with { Problems = problems }, errors);
        }
    }

    private static ProblemSubmission? Problem(JsonElement item, string path, List<BodyError> errors)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new BodyError(path, "a problem must be a JSON object"));
            return null;
        }

        if (item.TryGetPropertyIgnoringCase("text", out _))
        {
            var unknown = item.EnumerateObject().Where(p => !ApiProblem.Contains(p.Name, StringComparer.OrdinalIgnoreCase)).ToList();
            foreach (var p in unknown)
            {
                errors.Add(Unknown($"{path}.{p.Name}", p.Name, ApiProblem, ApiAliases));
            }

            if (unknown.Count > 0)
            {
                return null;
            }

            try
            {
                return JsonSerializer.Deserialize<ProblemSubmission>(item.GetRawText(), Json);
            }
            catch (JsonException e)
            {
                errors.Add(new BodyError($"{path}{e.Path?.TrimStart('$')}", FirstSentence(e.Message)));
                return null;
            }
        }

        DatasetFormat format;
        try
        {
            format = ProblemLines.Detect(item);
        }
        catch (FormatException)
        {
            var names = string.Join(", ", item.EnumerateObject().Select(p => p.Name));
            errors.Add(new BodyError(path, $"a problem needs 'text' (API layout), 'problem' (arithmetic, MATH-500) or 'question' (GSM8K); it has: {names}"));
            return null;
        }

        var fields = ProblemLines.Fields(format);
        var bad = item.EnumerateObject().Where(p => !fields.Contains(p.Name)).ToList();
        foreach (var p in bad)
        {
            errors.Add(Unknown($"{path}.{p.Name}", p.Name, fields, FileAliases, $"the {format} layout"));
        }

        if (bad.Count > 0)
        {
            return null;
        }

        try
        {
            var record = ProblemLines.ReadObject(item, format);
            return new ProblemSubmission { Text = record.Text, ReferenceAnswer = record.ReferenceAnswer, Level = record.Level, Subject = record.Subject, ExternalId = record.ExternalId };
        }
        catch (FormatException e)
        {
            errors.Add(new BodyError(path, e.Message));
            return null;
        }
    }

    private static BodyError Unknown(string path, string name, IEnumerable<string> known, Dictionary<string, string> aliases, string? layout = null)
    {
        var hint = aliases.TryGetValue(name, out var right) ? $"; did you mean '{right}'?" : "";
        return new BodyError(path, $"unknown field '{name}'{(layout is null ? "" : $" in {layout}")}{hint} (known: {string.Join(", ", known)})");
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }

    private static bool TryGetPropertyIgnoringCase(this JsonElement element, string name, out JsonElement value)
    {
        foreach (var p in element.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = p.Value;
                return true;
            }
        }

        value = default;
        return false;
    }
}
