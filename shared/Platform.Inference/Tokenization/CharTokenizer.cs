namespace Platform.Inference.Tokenization;

/// <summary>
/// The project's character vocabulary: ids 0..2 are &lt;pad&gt;, &lt;bos&gt;, &lt;eos&gt;; every other id is one character.
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    public const string Pad = "<pad>";
    public const string Bos = "<bos>";
    public const string Eos = "<eos>";

    private readonly string[] _tokens;
    private readonly Dictionary<char, int> _ids = new();

    public CharTokenizer(IReadOnlyList<string> tokens)
    {
        if (tokens.Count < 4 || tokens[0] != Pad || tokens[1] != Bos || tokens[2] != Eos)
        {
            throw new ArgumentException($"a character vocabulary starts with {Pad}, {Bos}, {Eos} and holds at least one character");
        }

        _tokens = [.. tokens];
        for (var i = 3; i < tokens.Count; i++)
        {
            if (tokens[i].Length != 1)
            {
                throw new ArgumentException($"vocabulary entry {i} ('{tokens[i]}') is not a single character");
            }

            if (!_ids.TryAdd(tokens[i][0], i))
            {
                throw new ArgumentException($"vocabulary entry {i} ('{tokens[i]}') appears twice");
            }
        }
    }

    /// <summary>The vocabulary of the given alphabet, in order after the special tokens.</summary>
    public static CharTokenizer ForAlphabet(string alphabet) =>
        new([Pad, Bos, Eos, .. alphabet.Select(c => c.ToString())]);

    public IReadOnlyList<string> Tokens => _tokens;
    public int VocabularySize => _tokens.Length;
    public int PadId => 0;
    public int? BosId => 1;
    public int EosId => 2;

    public int[] Encode(string text)
    {
        var ids = new int[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            if (!_ids.TryGetValue(text[i], out ids[i]))
            {
                throw new ArgumentException($"character '{text[i]}' (U+{(int)text[i]:X4}) at position {i} is not in the model's vocabulary");
            }
        }

        return ids;
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        var chars = new char[ids.Length];
        var n = 0;
        foreach (var id in ids)
        {
            if (id >= 3 && id < _tokens.Length)
            {
                chars[n++] = _tokens[id][0];
            }
        }

        return new string(chars, 0, n);
    }

    public int[] EncodeWithSpecialTokens(string text) => [1, .. Encode(text)];

    public string DecodeNext(IReadOnlyList<int> tokens, ref TextCursor cursor)
    {
        // One character per token: the token's own string, no allocation per generated token.
        var from = cursor.Read;
        cursor = new TextCursor(tokens.Count, tokens.Count);
        if (tokens.Count - from == 1)
        {
            return TokenText(tokens[from]);
        }

        var text = new System.Text.StringBuilder();
        for (var i = from; i < tokens.Count; i++)
        {
            text.Append(TokenText(tokens[i]));
        }

        return text.ToString();
    }

    private string TokenText(int id) => id >= 3 && id < _tokens.Length ? _tokens[id] : "";
}
