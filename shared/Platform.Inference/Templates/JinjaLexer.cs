using System.Globalization;
using System.Text;

namespace Platform.Inference.Templates;

internal enum TokenKind
{
    Text,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}

internal readonly record struct Token(TokenKind Kind, string Value, int Line)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;

    public bool IsName(string value) => Is(TokenKind.Name, value);

    public bool IsOperator(string value) => Is(TokenKind.Operator, value);

    public override string ToString() => Kind switch
    {
        TokenKind.End => "the end of the template",
        TokenKind.Text => "text",
        _ => $"'{Value}'",
    };
}

/// <summary>
/// Jinja's lexer with the settings transformers uses: <c>trim_blocks</c> (the newline after a block tag
/// or comment is dropped), <c>lstrip_blocks</c> (spaces and tabs from the start of a line to a block tag
/// or comment are dropped, unless the tag opens with <c>{%+</c>), and <c>-</c> on either side of a tag
/// strips all whitespace on that side.
/// </summary>
internal static class JinjaLexer
{
    private static readonly string[] Operators =
        ["**", "//", "==", "!=", ">=", "<=", "+", "-", "*", "/", "%", "~", "(", ")", "[", "]", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"];

    public static List<Token> Tokenize(string source)
    {
        // keep_trailing_newline=False: one newline at the very end of the template is dropped.
        source = source.EndsWith("\r\n", StringComparison.Ordinal) ? source[..^2] : source.EndsWith('\n') ? source[..^1] : source;
        var tokens = new List<Token>();
        var i = 0;
        var line = 1;
        var lineStarting = true;
        while (i < source.Length)
        {
            var open = NextOpening(source, i);
            var text = source[i..(open < 0 ? source.Length : open)];
            if (open < 0)
            {
                Add(tokens, text, line);
                break;
            }

            var kind = source[open + 1];
            var sign = open + 2 < source.Length && source[open + 2] is '-' or '+' ? source[open + 2] : '\0';
            if (sign == '-')
            {
                text = text.TrimEnd();
            }
            else if (sign != '+' && kind != '{')
            {
                var start = text.LastIndexOf('\n') + 1;
                if ((start > 0 || lineStarting) && start < text.Length && text.AsSpan(start).IndexOfAnyExcept(" \t\r\f\v") < 0)
                {
                    text = text[..start];
                }
            }

            Add(tokens, text, line);
            line += Count(source, i, open);
            i = open + 2 + (sign == '\0' ? 0 : 1);
            if (kind == '#')
            {
                var close = source.IndexOf("#}", i, StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new ChatTemplateException($"line {line}: a comment is never closed ('#}}' missing)");
                }

                var stripAfter = close > i && source[close - 1] == '-';
                line += Count(source, i, close);
                i = After(source, close + 2, stripAfter, trimNewline: true, ref line, out lineStarting);
                continue;
            }

            var block = kind == '%';
            tokens.Add(new Token(block ? TokenKind.BlockBegin : TokenKind.VariableBegin, "", line));
            i = Expression(source, i, block ? '%' : '}', tokens, ref line, out var strip, out var keep);
            tokens.Add(new Token(block ? TokenKind.BlockEnd : TokenKind.VariableEnd, "", line));
            i = After(source, i, strip, trimNewline: block && !keep, ref line, out lineStarting);
        }

        tokens.Add(new Token(TokenKind.End, "", line));
        return tokens;
    }

    private static int NextOpening(string source, int from)
    {
        for (var j = source.IndexOf('{', from); j >= 0 && j + 1 < source.Length; j = source.IndexOf('{', j + 1))
        {
            if (source[j + 1] is '{' or '%' or '#')
            {
                return j;
            }
        }

        return -1;
    }

    private static void Add(List<Token> tokens, string text, int line)
    {
        if (text.Length > 0)
        {
            tokens.Add(new Token(TokenKind.Text, text, line));
        }
    }

    private static int Count(string source, int from, int to) => source.AsSpan(from, to - from).Count('\n');

    /// <summary>Past a closing delimiter: all whitespace when it was '-', else one newline after a block tag.</summary>
    private static int After(string source, int i, bool strip, bool trimNewline, ref int line, out bool lineStarting)
    {
        var start = i;
        if (strip)
        {
            while (i < source.Length && char.IsWhiteSpace(source[i]))
            {
                i++;
            }
        }
        else if (trimNewline && i < source.Length && source[i] == '\n')
        {
            i++;
        }

        line += Count(source, start, i);
        lineStarting = i > 0 && source[i - 1] == '\n';
        return i;
    }

    /// <summary>The tokens inside a tag, up to its closing delimiter (<c>%}</c> or <c>}}</c>, with an optional '-' or '+' before it).</summary>
    private static int Expression(string source, int i, char closer, List<Token> tokens, ref int line, out bool strip, out bool keep)
    {
        var depth = 0; // brackets open inside a {{ }} so that a dict's closing braces are not the delimiter
        while (true)
        {
            while (i < source.Length && char.IsWhiteSpace(source[i]))
            {
                line += source[i] == '\n' ? 1 : 0;
                i++;
            }

            if (i >= source.Length)
            {
                throw new ChatTemplateException($"line {line}: a tag is never closed ('{closer}}}' missing)");
            }

            if (depth == 0)
            {
                foreach (var (prefix, s, k) in new[] { ("-", true, false), ("+", false, true), ("", false, false) })
                {
                    if (string.CompareOrdinal(source, i, prefix + closer + "}", 0, prefix.Length + 2) == 0)
                    {
                        strip = s;
                        keep = k;
                        return i + prefix.Length + 2;
                    }
                }
            }

            var c = source[i];
            if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Name, source[start..i], line));
            }
            else if (char.IsAsciiDigit(c))
            {
                i = Number(source, i, tokens, line);
            }
            else if (c is '\'' or '"')
            {
                i = StringLiteral(source, i, tokens, ref line);
            }
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(source, i, o, 0, o.Length) == 0)
                    ?? throw new ChatTemplateException($"line {line}: unexpected character '{c}'");
                depth += op is "(" or "[" or "{" ? 1 : op is ")" or "]" or "}" ? -1 : 0;
                tokens.Add(new Token(TokenKind.Operator, op, line));
                i += op.Length;
            }
        }
    }

    private static int Number(string source, int i, List<Token> tokens, int line)
    {
        var start = i;
        while (i < source.Length && (char.IsAsciiDigit(source[i]) || source[i] == '_'))
        {
            i++;
        }

        var isFloat = false;
        if (i + 1 < source.Length && source[i] == '.' && char.IsAsciiDigit(source[i + 1]))
        {
            isFloat = true;
            i++;
            while (i < source.Length && (char.IsAsciiDigit(source[i]) || source[i] == '_'))
            {
                i++;
            }
        }

        if (i < source.Length && source[i] is 'e' or 'E')
        {
            var j = i + 1;
            if (j < source.Length && source[j] is '+' or '-')
            {
                j++;
            }

            if (j < source.Length && char.IsAsciiDigit(source[j]))
            {
                isFloat = true;
                i = j;
                while (i < source.Length && char.IsAsciiDigit(source[i]))
                {
                    i++;
                }
            }
        }

        tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, source[start..i].Replace("_", "", StringComparison.Ordinal), line));
        return i;
    }

    /// <summary>A quoted string with Python's escapes (<c>\n</c>, <c>\t</c>, <c>\xNN</c>, <c>\uNNNN</c>, ...); a backslash before a newline continues the line.</summary>
    private static int StringLiteral(string source, int i, List<Token> tokens, ref int line)
    {
        var quote = source[i++];
        var value = new StringBuilder();
        var startLine = line;
        while (true)
        {
            if (i >= source.Length)
            {
                throw new ChatTemplateException($"line {startLine}: a string literal is never closed");
            }

            var c = source[i++];
            if (c == quote)
            {
                break;
            }

            if (c == '\n')
            {
                line++;
            }

            if (c != '\\' || i >= source.Length)
            {
                value.Append(c);
                continue;
            }

            var e = source[i++];
            switch (e)
            {
                case '\n': line++; break;
                case '\\': value.Append('\\'); break;
                case '\'': value.Append('\''); break;
                case '"': value.Append('"'); break;
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case 'a': value.Append('\a'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case 'v': value.Append('\v'); break;
                case 'x': value.Append(Hex(source, ref i, 2, line)); break;
                case 'u': value.Append(Hex(source, ref i, 4, line)); break;
                case 'U': value.Append(Hex(source, ref i, 8, line)); break;
                case >= '0' and <= '7':
                    var octal = e - '0';
                    for (var k = 0; k < 2 && i < source.Length && source[i] is >= '0' and <= '7'; k++)
                    {
                        octal = octal * 8 + (source[i++] - '0');
                    }

                    value.Append((char)octal);
                    break;
                default:
                    value.Append('\\').Append(e); // Python keeps an unknown escape as written
                    break;
            }
        }

        tokens.Add(new Token(TokenKind.String, value.ToString(), startLine));
        return i;
    }

    private static string Hex(string source, ref int i, int digits, int line)
    {
        if (i + digits > source.Length || !int.TryParse(source.AsSpan(i, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
        {
            throw new ChatTemplateException($"line {line}: a \\x, \\u or \\U escape needs {digits} hexadecimal digits");
        }

        i += digits;
        return char.ConvertFromUtf32(code);
    }
}
