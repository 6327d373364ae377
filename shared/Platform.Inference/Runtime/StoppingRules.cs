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

    /// <summary>
    /// Takes a row's next token from one step's logits — a forced one when budget forcing queued any, else a
    /// sample — records its log-probability and confidence when the request asks for them, and accepts it.
    /// With a confidence stop the row ends (finish reason "confidence") once its window's mean confidence
    /// falls below the threshold.
    /// </summary>
    public void Next(Row row, ReadOnlySpan<float> logits, GenerationRequest request, Span<float> scratch)
    {
        var rolling = row.RolloutToken >= 0;
        var token = row.Forced.Count > 0 ? row.Forced.Dequeue() : rolling ? Sampler.ArgMax(logits) : Sampler.Next(logits, request.Sampling, ref row.Random, scratch);
        var k = rolling ? 0 : request.Sampling.TopLogProbs;
        if (k == 0)
        {
            Accept(row, token, request);
            return;
        }

        var (logProb, confidence) = StepLogProbs.Read(logits, token, k, scratch);
        row.LogProbs.Add(logProb);
        row.Confidences.Add(confidence);
        Accept(row, token, request);
        if (row.Finish is null && request.ConfidenceStop is { } stop && (row.Window ??= new(stop.Window)).Add(confidence) < stop.Threshold)
        {
            row.Finish = FinishReasons.Confidence;
        }
    }

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
                if (!StepBoundaries.EndsWith(row.Text, stop, end) || ++row.Stops < request.StopAfter)
                {
                    continue;
                }

                if (row.RolloutToken < 0 && request.RolloutSteps > 0)
                {
                    // The sample's own steps end here; a greedy rollout goes on from the model's state as it is.
                    row.RolloutToken = row.Tokens.Count;
                    row.RolloutText = end;
                }
                else if (row.Stops >= request.StopAfter + request.RolloutSteps)
                {
                    row.Text.Length = end;
                    row.Finish = FinishReasons.Stop;
                    return;
                }
            }
        }

        // Position is where the next fed token goes; the sequence (prompt + output) must stay within the context.
        // A rollout has its own new-token limit.
        if (row.Tokens.Count - Math.Max(0, row.RolloutToken) >= request.Sampling.MaxNewTokens || row.Position + 1 + row.Forced.Count >= context)
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
        var confidence = float.NaN;
        if (row.LogProbs.Count >= k)
        {
            // The forced continuation's first token takes the first taken-back token's place: same logits, so the same
            // confidence; it was not sampled from them, so no log-probability (NaN).
            confidence = row.Confidences[^k];
            row.LogProbs.RemoveRange(row.LogProbs.Count - k, k);
            row.Confidences.RemoveRange(row.Confidences.Count - k, k);
        }

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
            if (!float.IsNaN(confidence))
            {
                row.LogProbs.Add(float.NaN);
                row.Confidences.Add(confidence);
            }

            Accept(row, row.Forced.Dequeue(), request);
        }

        return true;
    }
}
