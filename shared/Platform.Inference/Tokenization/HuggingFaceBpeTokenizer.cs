using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Platform.Inference.Tokenization;

/// <summary>
/// Byte-level BPE as in GPT-2, Qwen and most Optimum decoder exports, read from <c>vocab.json</c> +
/// <c>merges.txt</c> or from the BPE model inside <c>tokenizer.json</c>.
/// </summary>
public sealed class HuggingFaceBpeTokenizer : ITokenizer
{
    private readonly Tokenizer _inner;
    private readonly string[] _tokenText;
    private readonly HashSet<int> _special;

    private HuggingFaceBpeTokenizer(Tokenizer inner, int vocabularySize, int pad, int? bos, int eos)
    {
        _inner = inner;
        VocabularySize = vocabularySize;
        PadId = pad;
        BosId = bos;
        EosId = eos;
        _special = [pad, eos];
        if (bos is { } b)
        {
            _special.Add(b);
        }

        _tokenText = new string[vocabularySize];
        for (var id = 0; id < vocabularySize; id++)
        {
            _tokenText[id] = _special.Contains(id) ? "" : inner.Decode([id]) ?? "";
        }
    }

    public static HuggingFaceBpeTokenizer FromFiles(string vocabPath, string mergesPath, int pad, int? bos, int eos)
    {
        using var vocab = File.OpenRead(vocabPath);
        using var merges = File.OpenRead(mergesPath);
        var size = CountVocabulary(File.ReadAllText(vocabPath));
        return new HuggingFaceBpeTokenizer(CodeGenTokenizer.Create(vocab, merges, addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false), size, pad, bos, eos);
    }

    /// <summary>Reads the BPE model (vocab and merges) of a Hugging Face <c>tokenizer.json</c>.</summary>
    public static HuggingFaceBpeTokenizer FromTokenizerJson(string path, int pad, int? bos, int eos)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        if (!document.RootElement.TryGetProperty("model", out var model) ||
            !model.TryGetProperty("type", out var type) || type.GetString() != "BPE")
        {
            throw new InvalidDataException($"{path}: only tokenizer.json files with a BPE model are supported (model.type must be \"BPE\")");
        }

        var vocabJson = model.GetProperty("vocab").GetRawText();
        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var merge in model.GetProperty("merges").EnumerateArray())
        {
            merges.Append(merge.ValueKind == JsonValueKind.Array
                ? $"{merge[0].GetString()} {merge[1].GetString()}"
                : merge.GetString()).Append('\n');
        }

        using var vocabStream = new MemoryStream(Encoding.UTF8.GetBytes(vocabJson));
        using var mergesStream = new MemoryStream(Encoding.UTF8.GetBytes(merges.ToString()));
        var size = CountVocabulary(vocabJson);
        if (document.RootElement.TryGetProperty("added_tokens", out var added))
        {
            foreach (var token in added.EnumerateArray())
            {
                size = Math.Max(size, token.GetProperty("id").GetInt32() + 1);
            }
        }

        return new HuggingFaceBpeTokenizer(CodeGenTokenizer.Create(vocabStream, mergesStream, false, false, false), size, pad, bos, eos);
    }

    private static int CountVocabulary(string vocabJson)
    {
        using var document = JsonDocument.Parse(vocabJson);
        return document.RootElement.EnumerateObject().Max(p => p.Value.GetInt32()) + 1;
    }

    public int VocabularySize { get; }
    public int PadId { get; }
    public int? BosId { get; }
    public int EosId { get; }

    public int[] Encode(string text) => _inner.EncodeToIds(text).ToArray();

    public string Decode(ReadOnlySpan<int> ids)
    {
        var kept = new List<int>(ids.Length);
        foreach (var id in ids)
        {
            if (!_special.Contains(id))
            {
                kept.Add(id);
            }
        }

        return _inner.Decode(kept) ?? "";
    }

    public string TokenText(int id) => id >= 0 && id < _tokenText.Length ? _tokenText[id] : "";
}
