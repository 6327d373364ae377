using System.Globalization;
using System.Text.Json;
using Platform.Reasoning.Answers;

namespace Platform.Reasoning.Ingestion;

/// <summary>One problem read from a data file.</summary>
public sealed record ProblemRecord(string Text, string? ReferenceAnswer, string? Level, string? Subject, string? ExternalId);

public enum DatasetFormat
{
    Auto,

    /// <summary>The project's arithmetic files: problem, answer, level.</summary>
    Arithmetic,

    /// <summary>GSM8K: question, answer (worked solution ending in "#### N").</summary>
    Gsm8k,

    /// <summary>MATH-500: problem, answer, level, subject, unique_id.</summary>
    Math500,
}

/// <summary>A line that could not be read, with why.</summary>
public sealed record LineError(int Line, string Reason)
{
    public override string ToString() => $"line {Line}: {Reason}";
}

/// <summary>Reads problem files line by line: a bad line is reported with its number and the rest still load.</summary>
public static class ProblemLines
{
    public static DatasetFormat ParseFormat(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => DatasetFormat.Auto,
        "arith" or "arithmetic" => DatasetFormat.Arithmetic,
        "gsm8k" => DatasetFormat.Gsm8k,
        "math500" or "math-500" or "math" => DatasetFormat.Math500,
        _ => throw new ArgumentException($"format must be auto, arithmetic, gsm8k or math500 (was '{text}')"),
    };

    public static (List<ProblemRecord> Problems, List<LineError> Errors, DatasetFormat Format) Parse(IEnumerable<string> lines, DatasetFormat format = DatasetFormat.Auto)
    {
        var problems = new List<ProblemRecord>();
        var errors = new List<LineError>();
        var number = 0;
        foreach (var line in lines)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException("expected a JSON object");
                }

                if (format == DatasetFormat.Auto)
                {
                    format = Detect(root);
                }

                var record = Read(root, format);
                if (Unstorable(record) is { } field)
                {
                    throw new FormatException(field);
                }

                problems.Add(record);
            }
            catch (JsonException e)
            {
                errors.Add(new LineError(number, $"not valid JSON ({e.Message.Split('.')[0]})"));
            }
            catch (FormatException e)
            {
                errors.Add(new LineError(number, e.Message));
            }
        }

        return (problems, errors, format);
    }

    /// <summary>The first field of a record that cannot be stored (<see cref="Planning.StorableText"/>), as "field: why"; null when all can.</summary>
    private static string? Unstorable(ProblemRecord r) =>
        Planning.StorableText.Problems([("text", r.Text), ("reference answer", r.ReferenceAnswer), ("level", r.Level), ("subject", r.Subject), ("external id", r.ExternalId)])
            .Select(f => $"{f.Field}: {f.Reason}").FirstOrDefault();

    /// <summary>The fields each layout may carry (what a strict reader accepts).</summary>
    public static IReadOnlyList<string> Fields(DatasetFormat format) => format switch
    {
        DatasetFormat.Gsm8k => ["question", "answer", "id"],
        DatasetFormat.Math500 => ["problem", "answer", "solution", "level", "subject", "unique_id"],
        _ => ["problem", "answer", "level", "digits", "nested", "id"],
    };

    /// <summary>One problem object in a data-file layout (detected when <paramref name="format"/> is Auto).</summary>
    public static ProblemRecord ReadObject(JsonElement root, DatasetFormat format = DatasetFormat.Auto) =>
        Read(root, format == DatasetFormat.Auto ? Detect(root) : format);

    public static DatasetFormat Detect(JsonElement root) =>
        root.TryGetProperty("question", out _) ? DatasetFormat.Gsm8k
        : root.TryGetProperty("unique_id", out _) || root.TryGetProperty("subject", out _) ? DatasetFormat.Math500
        : root.TryGetProperty("problem", out _) ? DatasetFormat.Arithmetic
        : throw new FormatException("cannot tell the format: expected a 'problem' or 'question' field");

    private static ProblemRecord Read(JsonElement root, DatasetFormat format)
    {
        switch (format)
        {
            case DatasetFormat.Gsm8k:
            {
                var solution = Required(root, "answer");
                var answer = AnswerExtractor.Extract(solution, AnswerFormat.Gsm8k)
                    ?? throw new FormatException("field 'answer' has no '#### <answer>' line");
                return new ProblemRecord(Required(root, "question"), answer, null, null, Optional(root, "id"));
            }

            case DatasetFormat.Math500:
                return new ProblemRecord(Required(root, "problem"), Required(root, "answer"), Optional(root, "level"), Optional(root, "subject"), Optional(root, "unique_id"));

            default:
                return new ProblemRecord(Required(root, "problem"), Required(root, "answer"), Optional(root, "level"), null, Optional(root, "id"));
        }
    }

    /// <summary>A string value; one whose escapes leave a lone surrogate (<c>"\ud800"</c>) is no text, and says so.</summary>
    private static string? Text(JsonElement value, string field)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            throw new FormatException($"field '{field}' contains a lone surrogate (an unpaired \\uD800-\\uDFFF escape); it has no UTF-8 form");
        }
    }

    private static string Required(JsonElement root, string field) =>
        Optional(root, field) ?? throw new FormatException($"missing field '{field}'");

    private static string? Optional(JsonElement root, string field)
    {
        if (!root.TryGetProperty(field, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => Text(value, field),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.Null => null,
            _ => throw new FormatException($"field '{field}' must be a string or a number (was {value.ValueKind.ToString().ToLower(CultureInfo.InvariantCulture)})"),
        };
    }
}
