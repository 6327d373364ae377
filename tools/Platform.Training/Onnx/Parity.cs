using Microsoft.ML.OnnxRuntime;
using Platform.Training.Model;
using static TorchSharp.torch;

namespace Platform.Training.Onnx;

/// <summary>Runs the same inputs through TorchSharp and through ONNX Runtime and reports the largest difference.</summary>
public static class Parity
{
    /// <summary>Largest |Δlogit| over a left-padded batch (real positions only).</summary>
    public static double FullSequence(Gpt model, string onnxPath, IReadOnlyList<int[]> sequences)
    {
        var c = model.Config;
        var width = sequences.Max(s => s.Length);
        var b = sequences.Count;
        var ids = new long[b * width];
        var mask = new long[b * width];
        var positions = new long[b * width];
        for (var r = 0; r < b; r++)
        {
            var offset = width - sequences[r].Length;
            for (var j = 0; j < sequences[r].Length; j++)
            {
                ids[r * width + offset + j] = sequences[r][j];
                mask[r * width + offset + j] = 1;
                positions[r * width + offset + j] = j;
            }
        }

        float[] expected;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var output = model.Forward(tensor(ids, [b, width]), tensor(positions, [b, width]), tensor(mask, [b, width]));
            if (c.ScoreHead)
            {
                output = output.sigmoid(); // the PRM graph returns probabilities
            }

            expected = output.contiguous().data<float>().ToArray();
        }

        using var session = new InferenceSession(onnxPath);
        var actual = RunOnnx(session, c, ids, mask, positions, b, width, past: 0, pastValues: null).Output;
        var stride = c.ScoreHead ? 1 : c.VocabSize;
        double worst = 0;
        for (var r = 0; r < b; r++)
        {
            for (var j = width - sequences[r].Length; j < width; j++)
            {
                for (var v = 0; v < stride; v++)
                {
                    var at = (r * width + j) * stride + v;
                    worst = Math.Max(worst, Math.Abs(expected[at] - actual[at]));
                }
            }
        }

        return worst;
    }

    /// <summary>
    /// Prefill <paramref name="prompt"/>, then feed <paramref name="continuation"/> one token at a time
    /// through the KV cache; each step's logits are compared with TorchSharp's logits for the full
    /// sequence at that position. Returns the largest |Δlogit| over the prefill and every step.
    /// </summary>
    public static double Incremental(Gpt model, string onnxPath, int[] prompt, int[] continuation)
    {
        var c = model.Config;
        int[] all = [.. prompt, .. continuation];
        float[] expected;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var ids = tensor(all.Select(x => (long)x).ToArray(), [1, all.Length]);
            expected = model.Forward(ids, arange(all.Length, dtype: ScalarType.Int64).unsqueeze(0), ones(1, all.Length, dtype: ScalarType.Int64))
                .contiguous().data<float>().ToArray();
        }

        using var session = new InferenceSession(onnxPath);
        var v = c.VocabSize;
        double worst = 0;
        var (logits, present) = RunOnnx(session, c, prompt.Select(x => (long)x).ToArray(), Enumerable.Repeat(1L, prompt.Length).ToArray(),
            Enumerable.Range(0, prompt.Length).Select(x => (long)x).ToArray(), 1, prompt.Length, past: 0, pastValues: null);
        for (var j = 0; j < prompt.Length * v; j++)
        {
            worst = Math.Max(worst, Math.Abs(expected[j] - logits[j]));
        }

        for (var step = 0; step < continuation.Length; step++)
        {
            var position = prompt.Length + step;
            (logits, present) = RunOnnx(session, c, [continuation[step]], Enumerable.Repeat(1L, position + 1).ToArray(), [position], 1, 1, position, present);
            for (var k = 0; k < v; k++)
            {
                worst = Math.Max(worst, Math.Abs(expected[position * v + k] - logits[k]));
            }
        }

        return worst;
    }

    private static (float[] Output, float[][] Present) RunOnnx(InferenceSession session, GptConfig c, long[] ids, long[] mask, long[] positions,
        int b, int s, int past, float[][]? pastValues)
    {
        var inputs = new Dictionary<string, OrtValue>
        {
            ["input_ids"] = OrtValue.CreateTensorValueFromMemory(ids, [b, s]),
            ["attention_mask"] = OrtValue.CreateTensorValueFromMemory(mask, [b, mask.Length / b]),
        };
        if (!c.ScoreHead)
        {
            inputs["position_ids"] = OrtValue.CreateTensorValueFromMemory(positions, [b, s]);
            for (var i = 0; i < 2 * c.Layers; i++)
            {
                var name = $"past_key_values.{i / 2}.{(i % 2 == 0 ? "key" : "value")}";
                inputs[name] = OrtValue.CreateTensorValueFromMemory(pastValues?[i] ?? [], [b, c.Heads, past, c.HeadDim]);
            }
        }

        try
        {
            using var outputs = session.Run(new RunOptions(), inputs, session.OutputNames);
            var list = outputs.ToList();
            var first = list[0].GetTensorDataAsSpan<float>().ToArray();
            var present = list.Skip(1).Select(o => o.GetTensorDataAsSpan<float>().ToArray()).ToArray();
            return (first, present);
        }
        finally
        {
            foreach (var value in inputs.Values)
            {
                value.Dispose();
            }
        }
    }
}
