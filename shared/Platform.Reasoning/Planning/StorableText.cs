using System.Globalization;
using System.Text;

namespace Platform.Reasoning.Planning;

/// <summary>
/// What every text field of a submission must be to be stored and tokenized: no NUL (PostgreSQL's
/// text type cannot hold U+0000) and no lone UTF-16 surrogate (it has no UTF-8 form, so it would be
/// stored and tokenized as something else). The one home of this rule: the HTTP API answers 400 with
/// it, the Router refuses the problem (or the batch, for a batch-level field) with it, and
/// <c>ttc submit</c>/<c>ttc eval</c> skip the line with it.
/// </summary>
public static class StorableText
{
    /// <summary>Why <paramref name="text"/> cannot be stored, or null when it can (null text can).</summary>
    public static string? Problem(string? text)
    {
        if (text is null)
        {
            return null;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return $"contains a NUL character (U+0000) at offset {i}; text fields cannot hold it";
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return $"contains a lone surrogate (U+{((int)c).ToString("X4", CultureInfo.InvariantCulture)}) at offset {i}; it has no UTF-8 form";
            }
        }

        return null;
    }

    /// <summary>Every named field that cannot be stored, with why, in order.</summary>
    public static IEnumerable<(string Field, string Reason)> Problems(IEnumerable<(string Field, string? Value)> fields)
    {
        foreach (var (field, value) in fields)
        {
            if (Problem(value) is { } reason)
            {
                yield return (field, reason);
            }
        }
    }

    /// <summary>The text with every unstorable character replaced by U+FFFD, so that a refused problem or batch can still be recorded.</summary>
    public static string? Storable(string? text)
    {
        if (Problem(text) is null)
        {
            return text;
        }

        var sb = new StringBuilder(text!.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
            }
            else
            {
                sb.Append(c == '\0' || char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }

        return sb.ToString();
    }
}
