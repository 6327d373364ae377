using System.Text.Json;
using Platform.Inference.Tokenization;
using Platform.Reasoning.Arithmetic;

namespace Platform.Inference.Tests;

public sealed class TokenizerTests
{
    private static readonly CharTokenizer Arithmetic = CharTokenizer.ForAlphabet(ArithmeticFormat.Alphabet);

    [Theory]
    [InlineData("Q: (37+48)*3-19\n37+48=85\n85*3=255\n255-19=236\nA: 236\n")]
    [InlineData("0123456789+-*()=\nQA: ")]
    [InlineData("")]
    public void Character_vocabulary_round_trips(string text)
    {
        var ids = Arithmetic.Encode(text);
        Assert.Equal(text.Length, ids.Length);
        Assert.All(ids, id => Assert.InRange(id, 3, Arithmetic.VocabularySize - 1));
        Assert.Equal(text, Arithmetic.Decode(ids));
        Assert.Equal(text, string.Concat(ids.Select(Arithmetic.TokenText)));
    }

    [Fact]
    public void Special_tokens_decode_to_nothing_and_unknown_characters_are_named()
    {
        Assert.Equal("1+1", Arithmetic.Decode([Arithmetic.BosId!.Value, .. Arithmetic.Encode("1+1"), Arithmetic.EosId, Arithmetic.PadId]));
        var error = Assert.Throws<ArgumentException>(() => Arithmetic.Encode("1/2"));
        Assert.Contains("'/'", error.Message);
        Assert.Contains("position 1", error.Message);
    }

    [Fact]
    public void A_vocabulary_without_the_special_tokens_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new CharTokenizer(["a", "b", "c", "d"]));
        Assert.Throws<ArgumentException>(() => new CharTokenizer([CharTokenizer.Pad, CharTokenizer.Bos, CharTokenizer.Eos, "x", "x"]));
    }

    /// <summary>GPT-2's byte-to-character table (a fact of the byte-level BPE format).</summary>
    private static Dictionary<byte, char> ByteCharacters()
    {
        var direct = Enumerable.Range(33, 126 - 33 + 1).Concat(Enumerable.Range(161, 172 - 161 + 1)).Concat(Enumerable.Range(174, 255 - 174 + 1)).ToHashSet();
        var map = new Dictionary<byte, char>();
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            map[(byte)b] = direct.Contains(b) ? (char)b : (char)next++;
        }

        return map;
    }

    /// <summary>A small byte-level BPE: every byte, plus merges for a few words; end-of-text last.</summary>
    private static (Dictionary<string, int> Vocab, List<(string, string)> Merges) SmallBpe()
    {
        var bytes = ByteCharacters();
        var vocab = new Dictionary<string, int>();
        foreach (var c in bytes.Values)
        {
            vocab[c.ToString()] = vocab.Count;
        }

        var space = bytes[(byte)' '].ToString();
        List<(string, string)> merges = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), (space, "w"), ("o", "r"), (space + "w", "or"), (space + "wor", "ld"), ("l", "d")];
        foreach (var (a, b) in merges)
        {
            vocab.TryAdd(a + b, vocab.Count);
        }

        vocab["<|endoftext|>"] = vocab.Count;
        return (vocab, merges);
    }

    [Fact]
    public void Hugging_Face_vocab_and_merges_round_trip_and_merge()
    {
        var dir = Directory.CreateTempSubdirectory("ttc-bpe").FullName;
        try
        {
            var (vocab, merges) = SmallBpe();
            File.WriteAllText(Path.Combine(dir, "vocab.json"), JsonSerializer.Serialize(vocab));
            File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\n" + string.Join("\n", merges.Select(m => $"{m.Item1} {m.Item2}")) + "\n");
            var eos = vocab["<|endoftext|>"];
            var tokenizer = HuggingFaceBpeTokenizer.FromFiles(Path.Combine(dir, "vocab.json"), Path.Combine(dir, "merges.txt"), eos, null, eos);

            var hello = tokenizer.Encode("hello world");
            Assert.Equal([vocab["hello"], vocab[ByteCharacters()[(byte)' '] + "world"]], hello);
            foreach (var text in new[] { "hello world", "Q: 12+30=42\nA: 42\n", "naïve ünïcode ✓", "" })
            {
                var ids = tokenizer.Encode(text);
                Assert.Equal(text, tokenizer.Decode(ids));
                if (text.All(char.IsAscii))
                {
                    // Stop strings are matched on per-token text, so it must add up to the text.
                    Assert.Equal(text, string.Concat(ids.Select(tokenizer.TokenText)));
                }
            }

            Assert.Equal("hello", tokenizer.Decode([.. tokenizer.Encode("hello"), eos]));
            Assert.Equal(vocab.Count, tokenizer.VocabularySize);

            // The same BPE model inside a tokenizer.json gives the same ids.
            var json = new
            {
                version = "1.0",
                added_tokens = new[] { new { id = eos, content = "<|endoftext|>", special = true } },
                model = new { type = "BPE", vocab, merges = merges.Select(m => new[] { m.Item1, m.Item2 }).ToArray() },
            };
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), JsonSerializer.Serialize(json));
            var fromJson = HuggingFaceBpeTokenizer.FromTokenizerJson(Path.Combine(dir, "tokenizer.json"), eos, null, eos);
            Assert.Equal(hello, fromJson.Encode("hello world"));
            Assert.Equal("Q: 12+30=42\n", fromJson.Decode(fromJson.Encode("Q: 12+30=42\n")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
