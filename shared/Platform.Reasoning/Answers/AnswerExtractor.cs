using System.Text.RegularExpressions;

namespace Platform.Reasoning.Answers;

/// <summary>Where an answer sits in a solution text.</summary>
public enum AnswerFormat
{
    /// <summary>Boxed, then GSM8K, then the arithmetic answer line, then a final-answer phrase, then the last math expression.</summary>
    Auto,

    /// <summary>The last line starting with <c>A:</c> (the project's arithmetic task).</summary>
    Arithmetic,

    /// <summary>Text after the last <c>####</c> (GSM8K); without one, the last number in the text.</summary>
    Gsm8k,

    /// <summary>The content of the last <c>\boxed{…}</c> (MATH), nested braces allowed; boxes side by side are one list.</summary>
    Boxed,

    /// <summary>What follows the last "the answer is" or "Final Answer:".</summary>
    Phrase,

    /// <summary>
    /// An answer the text states as one (Auto without the last-math fallback): whether a step of a
    /// search ends the solution. A step that merely contains <c>$x$</c> does not.
    /// </summary>
    Stated,
}

/// <summary>An answer taken out of a solution, and the rule that found it (<c>ttc grade --explain</c>).</summary>
public sealed record Extraction(string Answer, string Rule);

/// <summary>
/// Takes the answer out of a free-form solution as a human grader would (docs/grading.md): a
/// <c>&lt;think&gt;</c> block is reasoning, so the text after its end is searched first; then the last
/// <c>\boxed{}</c> (boxes separated only by commas, "and"/"or" or <c>x =</c> are one list), GSM8K's
/// <c>####</c>, the arithmetic answer line, a final-answer phrase, and last the last math expression
/// (<c>$…$</c>, <c>$$…$$</c>, <c>\(…\)</c>, <c>\[…\]</c>). Every search is linear in the text.
/// </summary>
public static partial class AnswerExtractor
{
    private const string ThinkEnd = "</think>";

    public static AnswerFormat ParseFormat(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => AnswerFormat.Auto,
        "arithmetic" => AnswerFormat.Arithmetic,
        "gsm8k" => AnswerFormat.Gsm8k,
        "boxed" or "math" => AnswerFormat.Boxed,
        "phrase" => AnswerFormat.Phrase,
        "stated" => AnswerFormat.Stated,
        _ => throw new ArgumentException($"answer format must be auto, arithmetic, gsm8k, boxed, phrase or stated (was '{text}')"),
    };

    /// <summary>The answer in <paramref name="text"/>, or null when there is none in that format.</summary>
    public static string? Extract(string text, AnswerFormat format = AnswerFormat.Auto) => Find(text, format)?.Answer;

    /// <summary>The answer and the rule that found it, or null when there is none in that format.</summary>
    public static Extraction? Find(string text, AnswerFormat format = AnswerFormat.Auto)
    {
        var end = text.LastIndexOf(ThinkEnd, StringComparison.Ordinal);
        if (end >= 0 && FindIn(text[(end + ThinkEnd.Length)..], format) is { } after)
        {
            return after with { Rule = after.Rule + ", after </think>" };
        }

        return FindIn(text, format);
    }

    private static Extraction? FindIn(string text, AnswerFormat format) => format switch
    {
        AnswerFormat.Arithmetic => Rule(AnswerLine(text), "answer line A:"),
        AnswerFormat.Gsm8k => Rule(Gsm8k(text), "#### line") ?? Rule(Boxed(text), "last \\boxed{}") ?? Rule(Phrase(text), "final-answer phrase")
            ?? Rule(LastNumber(text), "last number"),
        AnswerFormat.Boxed => Rule(Boxed(text), "last \\boxed{}"),
        AnswerFormat.Phrase => Rule(Phrase(text), "final-answer phrase"),
        AnswerFormat.Stated => Stated(text),
        _ => Stated(text) ?? Rule(LastMath(text), "last math expression"),
    };

    private static Extraction? Stated(string text) =>
        Rule(Boxed(text), "last \\boxed{}") ?? Rule(Gsm8k(text), "#### line") ?? Rule(AnswerLine(text), "answer line A:") ?? Rule(Phrase(text), "final-answer phrase");

    private static Extraction? Rule(string? answer, string rule) => answer is null ? null : new Extraction(answer, rule);

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

    /// <summary>
    /// The content of the last \boxed{…} or \fbox{…}, matching nested braces. Boxes written side by side
    /// (<c>\boxed{1}, \boxed{2}</c>, <c>$x = \boxed{-2}$ or $x = \boxed{3}$</c>) answer together: they
    /// come back as one comma-separated list.
    /// </summary>
    private static string? Boxed(string text)
    {
        var boxes = new List<Box>();
        var at = 0;
        var keywords = new Keywords(text);
        while (NextBox(text, at, ref keywords) is { } box)
        {
            if (box.End < 0)
            {
                return null; // the last box is cut off: no answer rather than an earlier one
            }

            boxes.Add(box);
            at = box.End;
        }

        if (boxes.Count == 0)
        {
            return null;
        }

        var first = boxes.Count - 1;
        while (first > 0 && boxes.Count - first < MaxBoxesTogether && Together(text.AsSpan(boxes[first - 1].End, boxes[first].Start - boxes[first - 1].End)))
        {
            first--;
        }

        return Clean(string.Join(", ", boxes.Skip(first).Select(b => text[b.ContentStart..b.ContentEnd])));
    }

    /// <summary>At most this many boxes side by side make one answer (a longer run is not an answer a grader reads).</summary>
    private const int MaxBoxesTogether = 64;

    /// <summary>A box: where it starts and ends in the text, and where its content lies; End is -1 when its braces never close.</summary>
    private readonly record struct Box(int Start, int End, int ContentStart, int ContentEnd);

    /// <summary>
    /// The next \boxed and \fbox at or after a position, each searched for again only once the scan has
    /// passed it, so that finding every box of a text stays linear.
    /// </summary>
    private struct Keywords(string text)
    {
        private int _boxed = -2;
        private int _fbox = -2;

        public (int At, int Length) Next(int from)
        {
            _boxed = Find(_boxed, "\\boxed", from);
            _fbox = Find(_fbox, "\\fbox", from);
            return _boxed < 0 ? (_fbox, 5) : _fbox < 0 || _boxed < _fbox ? (_boxed, 6) : (_fbox, 5);
        }

        // -1: none after an earlier position, so none after this one; -2: not searched yet.
        private readonly int Find(int known, string keyword, int from) =>
            known == -1 || known >= from ? known : text.IndexOf(keyword, from, StringComparison.Ordinal);
    }

    /// <summary>The next box at or after <paramref name="from"/>.</summary>
    private static Box? NextBox(string text, int from, ref Keywords keywords)
    {
        while (true)
        {
            var (at, keyword) = keywords.Next(from);
            if (at < 0)
            {
                return null;
            }

            var i = at + keyword;
            while (i < text.Length && text[i] == ' ')
            {
                i++;
            }

            if (i >= text.Length || text[i] != '{')
            {
                // "\boxed 5": the next token without braces.
                var stop = text.AsSpan(i).IndexOfAny(' ', '$', '\n');
                var length = stop < 0 ? text.Length - i : stop;
                if (length > 0)
                {
                    return new Box(at, i + length, i, i + length);
                }

                from = i;
                continue;
            }

            var depth = 0;
            for (var j = i; j < text.Length; j++)
            {
                depth += text[j] switch { '{' => 1, '}' => -1, _ => 0 };
                if (depth == 0)
                {
                    return new Box(at, j + 1, i + 1, j);
                }
            }

            return new Box(at, -1, i + 1, text.Length);
        }
    }

    /// <summary>What may stand between two boxes that answer together: spaces, commas, math delimiters, "and"/"or", "x =".</summary>
    [GeneratedRegex(@"^(?:\s|,|;|\$|\\\(|\\\)|\\quad|\\qquad|\\,|\band\b|\bor\b|\\text\{\s*(?:and|or)\s*\}|\\(?:mbox|textrm)\{\s*(?:and|or)\s*\}|\b[a-zA-Z](?:_\{?\d+\}?)?\s*=)*$", RegexOptions.None, matchTimeoutMilliseconds: 200)]
    private static partial Regex BoxGap();

    private static bool Together(ReadOnlySpan<char> gap)
    {
        try
        {
            return gap.Length <= 200 && BoxGap().IsMatch(gap);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
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

    /// <summary>"the answer is", "the final answer is", "Final Answer:", "Answer:" (Markdown or \textbf emphasis around them allowed).</summary>
    [GeneratedRegex(@"(?:the (?:final )?answer is|final answer\s*(?:\*\*|\})?\s*[:：]|\banswer\s*(?:\*\*|\})?\s*[:：])(?:\s*\*\*)?[:\s]*", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 200)]
    private static partial Regex AnswerIs();

    /// <summary>
    /// What follows the last final-answer phrase, to the end of its sentence (a period or a line break
    /// outside math; math may span lines): the sentence's last math expression, else what follows its
    /// last " is " ("Final Answer: The largest n is 34." gives 34), else the whole sentence.
    /// </summary>
    private static string? Phrase(string text)
    {
        MatchCollection matches;
        try
        {
            matches = AnswerIs().Matches(text);
            if (matches.Count == 0)
            {
                return null;
            }
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }

        var rest = text[(matches[^1].Index + matches[^1].Length)..];
        var segments = MathSegments(rest).ToList();
        var end = SentenceEnd(rest, segments);
        var math = segments.FindLastIndex(m => m.End <= end);
        if (math >= 0)
        {
            return Clean(segments[math].Content(rest).Trim().TrimEnd('.'));
        }

        rest = rest[..end];
        var isAt = rest.LastIndexOf(" is ", StringComparison.OrdinalIgnoreCase);
        return Clean(isAt >= 0 ? rest[(isAt + 4)..] : rest);
    }

    /// <summary>Where the first sentence ends: a line break, or a period followed by a space or the end (not a decimal point), outside math.</summary>
    private static int SentenceEnd(string s, List<MathSegment> math)
    {
        var m = 0;
        for (var i = 0; i < s.Length; i++)
        {
            while (m < math.Count && math[m].End <= i)
            {
                m++;
            }

            if (m < math.Count && i >= math[m].Start)
            {
                i = math[m].End - 1;
                continue;
            }

            if (s[i] == '\n' || (s[i] == '.' && (i + 1 == s.Length || char.IsWhiteSpace(s[i + 1]))))
            {
                return i;
            }
        }

        return s.Length;
    }

    /// <summary>The last math expression of the text: $…$, $$…$$, \(…\) or \[…\], the one that ends last.</summary>
    private static string? LastMath(string text)
    {
        MathSegment? last = null;
        foreach (var segment in MathSegments(text))
        {
            last = segment;
        }

        return last is { } m ? Clean(m.Content(text).Trim().TrimEnd('.', ',')) : null;
    }

    /// <summary>A math segment: where it starts (its opening delimiter), where it ends (after its closing one), and where its content lies.</summary>
    private readonly record struct MathSegment(int Start, int End, int ContentStart, int ContentEnd)
    {
        public string Content(string text) => text[ContentStart..ContentEnd];
    }

    /// <summary>Math segments in order, unescaped $ only; no text is copied until a segment's content is asked for.</summary>
    private static IEnumerable<MathSegment> MathSegments(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            string? close = null;
            var open = 0;
            if (c == '$')
            {
                (close, open) = i + 1 < text.Length && text[i + 1] == '$' ? ("$$", 2) : ("$", 1);
            }
            else if (c == '\\' && i + 1 < text.Length && text[i + 1] is '(' or '[')
            {
                (close, open) = (text[i + 1] == '(' ? "\\)" : "\\]", 2);
            }
            else if (c == '\\')
            {
                i += 2; // an escaped character (\$) is not a delimiter
                continue;
            }

            if (close is null)
            {
                i++;
                continue;
            }

            var j = i + open;
            var found = -1;
            while (j < text.Length)
            {
                if (close == "$" ? text[j] == '$' && text[j - 1] != '\\' : string.CompareOrdinal(text, j, close, 0, close.Length) == 0)
                {
                    found = j;
                    break;
                }

                j++;
            }

            if (found < 0)
            {
                yield break;
            }

            yield return new MathSegment(i, found + close.Length, i + open, found);
            i = found + close.Length;
        }
    }
}
