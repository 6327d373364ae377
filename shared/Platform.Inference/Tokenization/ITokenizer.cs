namespace Platform.Inference.Tokenization;

/// <summary>Text to token ids and back, with the model's special tokens.</summary>
public interface ITokenizer
{
    int VocabularySize { get; }
    int PadId { get; }
    int? BosId { get; }
    int EosId { get; }

    /// <summary>Token ids of <paramref name="text"/>, without special tokens.</summary>
    int[] Encode(string text);

    /// <summary>The text of <paramref name="ids"/>; special tokens are dropped.</summary>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>The text one token contributes (empty for special tokens); used to check stop strings as tokens arrive.</summary>
    string TokenText(int id);
}
