using Platform.Reasoning.Confidence;

namespace Platform.Inference.Runtime;

/// <summary>
/// What one step's logits say about the token chosen from them: its log-probability under the model's
/// distribution (temperature 1, before any top-k or top-p cut) and the token's confidence, read from the
/// k highest log-probabilities (<see cref="TraceConfidence.Token"/>). One pass over the vocabulary for the
/// largest logit, one for the normaliser and the top k together (a k-entry min-heap: most logits are
/// rejected by one comparison).
/// </summary>
internal static class StepLogProbs
{
    public static (float LogProb, float Confidence) Read(ReadOnlySpan<float> logits, int token, int k, Span<float> top)
    {
        var max = logits[Sampler.ArgMax(logits)];
        k = Math.Min(k, logits.Length);
        var heap = top[..k];
        var count = 0;
        double sum = 0;
        foreach (var l in logits)
        {
            sum += Math.Exp(l - max);
            if (count < k)
            {
                heap[count++] = l;
                SiftUp(heap, count - 1);
            }
            else if (l > heap[0])
            {
                heap[0] = l;
                SiftDown(heap, k);
            }
        }

        var logZ = max + Math.Log(sum);
        for (var i = 0; i < k; i++)
        {
            heap[i] = (float)(heap[i] - logZ);
        }

        return ((float)(logits[token] - logZ), TraceConfidence.Token(heap));
    }

    private static void SiftUp(Span<float> heap, int i)
    {
        while (i > 0 && heap[(i - 1) / 2] > heap[i])
        {
            (heap[i], heap[(i - 1) / 2]) = (heap[(i - 1) / 2], heap[i]);
            i = (i - 1) / 2;
        }
    }

    private static void SiftDown(Span<float> heap, int n)
    {
        var i = 0;
        while (true)
        {
            var (l, r, m) = (2 * i + 1, 2 * i + 2, i);
            if (l < n && heap[l] < heap[m])
            {
                m = l;
            }

            if (r < n && heap[r] < heap[m])
            {
                m = r;
            }

            if (m == i)
            {
                return;
            }

            (heap[i], heap[m]) = (heap[m], heap[i]);
            i = m;
        }
    }
}
