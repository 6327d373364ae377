namespace Platform.Inference.Tokenization;

/// <summary>Text to token ids and back, with the model's special tokens.</summary>
public interface ITokenizer
{
    int VocabularySize { get; }
    int PadId { get; }
    int? BosId { get; }
    int EosId { get; }

    /// <summary>Whether a sample ends at <paramref name="id"/> (the EOS, or any of a model's end ids).</summary>
    bool IsEnd(int id) => id == EosId;

    /// <summary>
    /// Token ids of <paramref name="text"/> as <c>tokenizer(text, add_special_tokens=False)</c> gives them:
    /// nothing is added, but special tokens written in the text are still read as themselves.
    /// </summary>
    int[] Encode(string text);

    /// <summary>Token ids as <c>tokenizer(text)</c> gives them: the post-processor's tokens (a BOS, say) added.</summary>
    int[] EncodeWithSpecialTokens(string text);

    /// <summary>The text of <paramref name="ids"/>; special tokens are skipped.</summary>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>
    /// Streaming: the text that <paramref name="tokens"/>[<paramref name="cursor"/>.Read..] add to what was
    /// returned before. Text is returned only once its characters are complete (never half a UTF-8
    /// character), so a call may return "" and a later one more than one token's text.
    /// </summary>
    string DecodeNext(IReadOnlyList<int> tokens, ref TextCursor cursor);
}

/// <summary>Where a stream of tokens stands in <see cref="ITokenizer.DecodeNext"/>: tokens before <see cref="Read"/> were returned as text; decoding restarts at <see cref="Prefix"/>.</summary>
public record struct TextCursor(int Prefix, int Read)
{
    /// <summary>After tokens were taken back, the cursor does not point past the <paramref name="count"/> that remain.</summary>
    public void Rewind(int count)
    {
        Prefix = Math.Min(Prefix, count);
        Read = Math.Min(Read, count);
    }
}
