using System.Text.RegularExpressions;

namespace Platform.Reasoning.Answers;

/// <summary>Where an answer sits in a solution text.</summary>
public enum AnswerFormat
{
    /// <summary>Try boxed, then GSM8K, then the arithmetic answer line, then "the answer is".</summary>
    Auto,

    /// <summary>The last line starting with <c>A:</c> (the project's arithmetic task).</summary>
    Arithmetic,

    /// <summary>Text after the last <c>####</c> (GSM8K); without one, the last number in the text.</summary>
    Gsm8k,

    /// <summary>The content of the last <c>\boxed{…}</c> (MATH), nested braces allowed.</summary>
    Boxed,

    /// <summary>What follows the last "the answer is".</summary>
    Phrase,
}

public static partial class AnswerExtractor
{
    public static AnswerFormat ParseFormat(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => AnswerFormat.Auto,
        "arithmetic" => AnswerFormat.Arithmetic,
        "gsm8k" => AnswerFormat.Gsm8k,
        "boxed" or "math" => AnswerFormat.Boxed,
        "phrase" => AnswerFormat.Phrase,
        _ => throw new ArgumentException($"answer format must be auto, arithmetic, gsm8k, boxed or phrase (was '{text}')"),
    };

    /// <summary>The answer in <paramref name="text"/>, or null when there is none in that format.</summary>
    public static string? Extract(string text, AnswerFormat format = AnswerFormat.Auto) => format switch
    {
        AnswerFormat.Arithmetic => AnswerLine(text),
        AnswerFormat.Gsm8k => Gsm8k(text) ?? Boxed(text) ?? Phrase(text) ?? LastNumber(text),
        AnswerFormat.Boxed => Boxed(text),
        AnswerFormat.Phrase => Phrase(text),
        _ => Boxed(text) ?? Gsm8k(text) ?? AnswerLine(text) ?? Phrase(text),
    };

    private static string? Clean(string? s)
    {
        s = s?.Trim();
        return string.IsNullOrEmpty(s) ? null : s;
    }

    private static string? AnswerLine(string text)
    {
        string? answer = null;
        foreach (var line in text.Split('\n'))
        {
            var t = line.Trim();
            if (t.StartsWith("A:", StringComparison.Ordinal))
            {
                answer = t[2..];
            }
        }

        return Clean(answer);
    }

    private static string? Gsm8k(string text)
    {
        var at = text.LastIndexOf("####", StringComparison.Ordinal);
        return at < 0 ? null : Clean(text[(at + 4)..].Split('\n')[0]);
    }

    /// <summary>The content of the last \boxed{…} or \fbox{…}, matching nested braces.</summary>
    private static string? Boxed(string text)
    {
        var at = Math.Max(text.LastIndexOf("\\boxed", StringComparison.Ordinal), text.LastIndexOf("\\fbox", StringComparison.Ordinal));
        if (at < 0)
        {
            return null;
        }

        var i = text.IndexOf('{', at);
        var keyword = text[at..].StartsWith("\\boxed", StringComparison.Ordinal) ? 6 : 5;
        if (i < 0 || text[(at + keyword)..i].Trim().Length > 0)
        {
            // "\boxed 5": the next token without braces.
            var rest = text[(at + keyword)..].TrimStart();
            return Clean(rest.Split([' ', '$', '\n'], 2)[0]);
        }

        var depth = 0;
        for (var j = i; j < text.Length; j++)
        {
            depth += text[j] switch { '{' => 1, '}' => -1, _ => 0 };
            if (depth == 0)
            {
                return Clean(text[(i + 1)..j]);
            }
        }

        return null; // unbalanced
    }

    [GeneratedRegex(@"-?\d[\d,]*(?:\.\d+)?", RegexOptions.None, matchTimeoutMilliseconds: 200)]
    private static partial Regex NumberRun();

    /// <summary>The last number written (GSM8K's fallback when a solution has no #### line): "... so she earns $1,250." gives 1,250.</summary>
    private static string? LastNumber(string text)
    {
        var tail = text.Length > 4000 ? text[^4000..] : text;
        try
        {
            var matches = NumberRun().Matches(tail);
            return matches.Count == 0 ? null : Clean(matches[^1].Value.TrimEnd(','));
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"the (?:final )?answer is[:\s]*", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerIs();

    private static string? Phrase(string text)
    {
        var matches = AnswerIs().Matches(text);
        if (matches.Count == 0)
        {
            return null;
        }

        var rest = text[(matches[^1].Index + matches[^1].Length)..];
        var end = rest.IndexOf('\n');
        if (end >= 0)
        {
            rest = rest[..end];
        }

        // Stop at a sentence end: a period followed by a space or the end (not a decimal point).
        var sentence = Regex.Match(rest, @"\.(\s|$)");
        if (sentence.Success)
        {
            rest = rest[..sentence.Index];
        }

        return Clean(rest);
    }
}
