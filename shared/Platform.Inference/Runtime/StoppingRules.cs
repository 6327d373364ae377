using Platform.Inference.Tokenization;

namespace Platform.Inference.Runtime;

/// <summary>
/// When a sample stops, and budget forcing: each chosen token is recorded on its row, which then ends at
/// EOS, at a stop string (also one that ends inside the token's text; the text is cut at its end), at
/// its new-token limit or the model's context — or, with budget forcing, thinks on: an end of thinking
/// that comes too early is taken back and a continuation written instead, and thinking past its
/// budget is closed by forced tokens.
/// </summary>
internal sealed class StoppingRules(ITokenizer tokenizer, int context)
{
    private ITokenizer Tokenizer => tokenizer;

    /// <summary>The next token of a row: a forced one when budget forcing queued any, else a sample.</summary>
    public static int Choose(Row row, ReadOnlySpan<float> logits, GenerationRequest request, Span<float> scratch) =>
        row.Forced.Count > 0 ? row.Forced.Dequeue() : Sampler.Next(logits, request.Sampling, ref row.Random, scratch);

    /// <summary>Records a token and decides whether the sample is finished (or, with budget forcing, must think on).</summary>
    public void Accept(Row row, int token, GenerationRequest request)
    {
        var forcing = request.BudgetForcing;
        row.Tokens.Add(token);
        if (forcing is not null && row.Thinking)
        {
            row.ThinkingTokens++;
        }

        if (Tokenizer.IsEnd(token))
        {
            if (forcing is not null && row.Thinking && TakeBack(row, request, forcing, 1))
            {
                return;
            }

            row.Finish = FinishReasons.Eos;
            return;
        }

        var before = row.Text.Length;
        row.Text.Append(Tokenizer.DecodeNext(row.Tokens, ref row.Cursor));
        row.TextEnds.Add(row.Text.Length);
        if (forcing is not null && row.Thinking)
        {
            if (StepBoundaries.EndsWith(row.Text, forcing.EndOfThinking, row.Text.Length))
            {
                // The tokens that wrote the marker (one for a special token, several for characters).
                var k = 1;
                while (k < row.Tokens.Count && row.TextEnds[^(k + 1)] > row.Text.Length - forcing.EndOfThinking.Length)
                {
                    k++;
                }

                if (TakeBack(row, request, forcing, k))
                {
                    return;
                }

                row.Thinking = false;
            }
            else if (row.ThinkingTokens >= forcing.MaxThinkingTokens)
            {
                foreach (var t in Tokenizer.Encode(forcing.EndOfThinking + forcing.AnswerPrefix))
                {
                    row.Forced.Enqueue(t);
                }

                row.Thinking = false;
            }
        }

        // Occurrences of a stop string that end inside the text this token added (no per-token allocation).
        foreach (var stop in request.StopStrings)
        {
            for (var end = Math.Max(before + 1, stop.Length); end <= row.Text.Length; end++)
            {
                if (StepBoundaries.EndsWith(row.Text, stop, end) && ++row.Stops >= request.StopAfter)
                {
                    row.Text.Length = end;
                    row.Finish = FinishReasons.Stop;
                    return;
                }
            }
        }

        // Position is where the next fed token goes; the sequence (prompt + output) must stay within the context.
        if (row.Tokens.Count >= request.Sampling.MaxNewTokens || row.Position + 1 + row.Forced.Count >= context)
        {
            row.Finish = FinishReasons.Length;
        }
    }

    /// <summary>
    /// Budget forcing: the sample tried to stop thinking too early. Its last <paramref name="k"/> tokens
    /// are taken back (the fed ones are hidden from attention, positions rewind), and the continuation
    /// is written instead. False when thinking may end (enough tokens, or no waits left).
    /// </summary>
    private bool TakeBack(Row row, GenerationRequest request, BudgetForcing forcing, int k)
    {
        if (row.ThinkingTokens - k >= forcing.MinThinkingTokens || row.Waits >= forcing.MaxWaits)
        {
            return false;
        }

        row.Tokens.RemoveRange(row.Tokens.Count - k, k);
        row.TextEnds.RemoveRange(row.TextEnds.Count - k, k);
        row.Text.Length = row.TextEnds.Count > 0 ? row.TextEnds[^1] : 0;
        row.Cursor.Rewind(row.Tokens.Count);
        row.MaskBack = k - 1; // the last taken-back token was sampled but never fed
        row.Position -= k - 1;
        row.ThinkingTokens -= k;
        row.Suppressed += k;
        row.Waits++;
        foreach (var t in Tokenizer.Encode(forcing.Continuation))
        {
            row.Forced.Enqueue(t);
        }

        if (row.Forced.Count > 0)
        {
            Accept(row, row.Forced.Dequeue(), request);
        }

        return true;
    }
}
