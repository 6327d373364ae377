namespace Platform.Inference.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c>, run by the <c>tokenizers</c> library itself (its Rust core,
/// through Tokenizers.DotNet; docs/decisions/0018-tokenizers-library.md): normalizer, pre-tokenizer,
/// model (BPE, byte-level or with byte fallback, Unigram, WordPiece), added and special tokens,
/// post-processor and decoder exactly as in Python. What the library does not expose (the vocabulary
/// size, which tokens are special, what the post-processor adds) is read from the same file.
/// </summary>
public sealed class HuggingFaceTokenizer : ITokenizer, IDisposable
{
    private readonly Tokenizers.DotNet.Tokenizer _native;
    private readonly Lock _gate = new();
    private readonly TokenizerFile _file;

    private readonly HashSet<int> _ends;

    private HuggingFaceTokenizer(Tokenizers.DotNet.Tokenizer native, TokenizerFile file, int pad, int? bos, IReadOnlyList<int> ends)
    {
        _native = native;
        _file = file;
        PadId = pad;
        BosId = bos;
        EosId = ends[0];
        _ends = [.. ends];
    }

    /// <summary>Loads <paramref name="path"/>; the special ids (<paramref name="ends"/>: every id that ends a sample, EOS first) come from the model's configuration.</summary>
    public static HuggingFaceTokenizer Load(string path, int pad, int? bos, IReadOnlyList<int> ends)
    {
        if (ends.Count == 0)
        {
            throw new ArgumentException("a tokenizer needs at least one end id", nameof(ends));
        }

        var file = TokenizerFile.Read(path);
        Tokenizers.DotNet.Tokenizer native;
        try
        {
            native = new Tokenizers.DotNet.Tokenizer(path);
        }
        catch (Exception e) when (e is Tokenizers.DotNet.TokenizerException or DllNotFoundException)
        {
            throw new InvalidDataException($"{path}: the tokenizers library cannot load it: {e.Message}", e);
        }

        return new HuggingFaceTokenizer(native, file, pad, bos, ends);
    }

    public int VocabularySize => _file.VocabularySize;
    public int PadId { get; }
    public int? BosId { get; }
    public int EosId { get; }

    public bool IsEnd(int id) => _ends.Contains(id);

    /// <summary>Ids of the added tokens marked special (skipped when decoding).</summary>
    public IReadOnlySet<int> SpecialIds => _file.SpecialIds;

    /// <summary>The id of a token of the vocabulary or of the added tokens, if it has one.</summary>
    public int? IdOf(string token) => _file.Ids.TryGetValue(token, out var id) ? id : null;

    /// <summary>The token an id stands for (as written in tokenizer.json), if any.</summary>
    public string? TokenOf(int id) => _file.Tokens.TryGetValue(id, out var token) ? token : null;

    public int[] EncodeWithSpecialTokens(string text)
    {
        uint[] ids;
        lock (_gate)
        {
            ids = _native.Encode(text);
        }

        return Array.ConvertAll(ids, i => (int)i);
    }

    public int[] Encode(string text)
    {
        // The library always runs the post-processor; its single-sequence template is known, so what it
        // added is taken off again (the fixtures check this against add_special_tokens=False).
        var ids = EncodeWithSpecialTokens(text);
        var (before, after) = (_file.AddedBefore, _file.AddedAfter);
        if (before.Length + after.Length == 0)
        {
            return ids;
        }

        if (ids.Length < before.Length + after.Length || !ids.AsSpan(0, before.Length).SequenceEqual(before) || !ids.AsSpan(ids.Length - after.Length).SequenceEqual(after))
        {
            throw new InvalidOperationException($"the post-processor did not add [{string.Join(", ", before)}] … [{string.Join(", ", after)}] as its template says");
        }

        return ids[before.Length..^after.Length];
    }

    public string Decode(ReadOnlySpan<int> ids) => DecodeNative(Native(ids));

    /// <summary>The ids the library decodes: ids outside the tokenizer (a model's padded vocabulary) are dropped.</summary>
    private uint[] Native(ReadOnlySpan<int> ids)
    {
        var native = new uint[ids.Length];
        var n = 0;
        foreach (var id in ids)
        {
            if (id >= 0 && id < VocabularySize)
            {
                native[n++] = (uint)id;
            }
        }

        return n == native.Length ? native : native[..n];
    }

    private string DecodeNative(uint[] ids)
    {
        lock (_gate)
        {
            return _native.Decode(ids);
        }
    }

    public string DecodeNext(IReadOnlyList<int> tokens, ref TextCursor cursor)
    {
        // Decoders are not per-token (a Strip decoder drops the first space, bytes fall back across
        // tokens), so the window since the last emitted text is decoded twice and the difference kept
        // (as text-generation-inference streams).
        Span<int> window = tokens.Count - cursor.Prefix <= 256 ? stackalloc int[tokens.Count - cursor.Prefix] : new int[tokens.Count - cursor.Prefix];
        for (var i = 0; i < window.Length; i++)
        {
            window[i] = tokens[cursor.Prefix + i];
        }

        var shown = DecodeNative(Native(window[..(cursor.Read - cursor.Prefix)]));
        var text = DecodeNative(Native(window));
        if (text.Length <= shown.Length || text[^1] == '\uFFFD')
        {
            return ""; // an incomplete character (or nothing visible) so far
        }

        cursor = new TextCursor(cursor.Read, tokens.Count);
        return text[shown.Length..];
    }

    public void Dispose() => _native.Dispose();
}
