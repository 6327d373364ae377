using System.Text.Json;
using Platform.Inference.Tokenization;
using Platform.Reasoning.Arithmetic;
using Platform.Tests.Shared;

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
        var cursor = new TextCursor();
        Assert.Equal(text, Arithmetic.DecodeNext(ids, ref cursor));
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

    public static TheoryData<string> Families => new() { "gpt2", "llama3", "qwen2", "llama2", "mistral" };

    private static (HuggingFaceTokenizer Tokenizer, JsonElement Fixture) Load(string family)
    {
        var dir = Repository.Path($"tests/data/tokenizers/{family}");
        var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "cases.json"))).RootElement.Clone();
        return (HuggingFaceTokenizer.Load(Path.Combine(dir, "tokenizer.json"), 0, null, [0]), fixture);
    }

    private static int[] Ids(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt32())];

    /// <summary>Ids and texts recorded from Hugging Face's tokenizers library (scripts/hf-fixtures/make-tokenizers.mjs).</summary>
    [Theory]
    [MemberData(nameof(Families))]
    public void Ids_and_text_equal_the_tokenizers_library(string family)
    {
        var (tokenizer, fixture) = Load(family);
        using var _ = tokenizer;
        Assert.Equal(fixture.GetProperty("vocab_size").GetInt32(), tokenizer.VocabularySize);
        foreach (var c in fixture.GetProperty("cases").EnumerateArray())
        {
            var text = c.GetProperty("text").GetString()!;
            Assert.True(Ids(c.GetProperty("ids")).SequenceEqual(tokenizer.EncodeWithSpecialTokens(text)), $"{family}: tokenizer({text}) differs");
            Assert.True(Ids(c.GetProperty("ids_without_special")).SequenceEqual(tokenizer.Encode(text)), $"{family}: tokenizer({text}, add_special_tokens=False) differs");
            Assert.Equal(c.GetProperty("decoded").GetString(), tokenizer.Decode(Ids(c.GetProperty("ids"))));
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Streaming_never_writes_half_a_character_and_adds_up_to_the_decoded_text(string family)
    {
        var (tokenizer, fixture) = Load(family);
        using var _ = tokenizer;
        foreach (var c in fixture.GetProperty("cases").EnumerateArray())
        {
            var ids = Ids(c.GetProperty("ids"));
            var seen = new List<int>();
            var cursor = new TextCursor();
            var text = new System.Text.StringBuilder();
            foreach (var id in ids)
            {
                seen.Add(id);
                var piece = tokenizer.DecodeNext(seen, ref cursor);
                Assert.DoesNotContain('\uFFFD', piece);
                text.Append(piece);
            }

            Assert.Equal(c.GetProperty("decoded").GetString(), text.ToString());
        }
    }

    [Fact]
    public void The_post_processor_decides_the_BOS()
    {
        var (llama3, _) = Load("llama3");
        var (qwen2, _) = Load("qwen2");
        using (llama3)
        using (qwen2)
        {
            Assert.Equal(llama3.IdOf("<|begin_of_text|>"), llama3.EncodeWithSpecialTokens("hi")[0]);
            Assert.Equal(llama3.Encode("hi"), llama3.EncodeWithSpecialTokens("hi")[1..]);
            Assert.Equal(qwen2.Encode("hi"), qwen2.EncodeWithSpecialTokens("hi"));

            // Special tokens written in the text are split out before the model; a non-special added token decodes as text.
            var ids = qwen2.Encode("<|im_start|>user<think>");
            Assert.Equal(qwen2.IdOf("<|im_start|>"), ids[0]);
            Assert.Equal(qwen2.IdOf("<think>"), ids[^1]);
            Assert.Equal("user<think>", qwen2.Decode(ids));
        }
    }

    [Fact]
    public void A_post_processor_it_cannot_read_is_refused_by_name()
    {
        var dir = Directory.CreateTempSubdirectory("ttc-tok").FullName;
        try
        {
            var json = File.ReadAllText(Repository.Path("tests/data/tokenizers/gpt2/tokenizer.json"))
                .Replace("\"post_processor\":{\"type\":\"ByteLevel\"", "\"post_processor\":{\"type\":\"Madeup\"");
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json);
            var error = Assert.Throws<InvalidDataException>(() => HuggingFaceTokenizer.Load(Path.Combine(dir, "tokenizer.json"), 0, null, [0]));
            Assert.Contains("\"Madeup\"", error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
