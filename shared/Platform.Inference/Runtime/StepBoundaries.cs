using System.Text;

namespace Platform.Inference.Runtime;

/// <summary>Where text written token by token closes a step or ends with a marker (a stop string, an end of thinking).</summary>
public static class StepBoundaries
{
    /// <summary>
    /// Indices (within <paramref name="solution"/>) of the token that closes each step: the token
    /// completing a delimiter after non-blank text, and the last token of an unfinished final step.
    /// Training uses the same positions as scoring.
    /// </summary>
    public static List<int> StepEnds(Tokenization.ITokenizer tokenizer, IReadOnlyList<int> solution, string delimiter)
    {
        var ends = new List<int>();
        var step = new StringBuilder();
        var blank = true; // the current step has no visible text yet
        var cursor = new Tokenization.TextCursor();
        var seen = new List<int>(solution.Count);
        for (var j = 0; j < solution.Count; j++)
        {
            seen.Add(solution[j]);
            var piece = tokenizer.DecodeNext(seen, ref cursor);
            var before = step.Length;
            step.Append(piece);

            // A delimiter ending inside the text this token added closes the step (no per-token string).
            for (var end = Math.Max(before + 1, delimiter.Length); end <= step.Length; end++)
            {
                if (!EndsWith(step, delimiter, end))
                {
                    continue;
                }

                for (var i = before; i < end - delimiter.Length; i++)
                {
                    blank &= char.IsWhiteSpace(step[i]);
                }

                if (!blank)
                {
                    ends.Add(j);
                }

                step.Remove(0, end);
                before = 0;
                end = delimiter.Length - 1;
                blank = true;
            }

            for (var i = before; i < step.Length; i++)
            {
                blank &= char.IsWhiteSpace(step[i]);
            }
        }

        if (!blank)
        {
            ends.Add(solution.Count - 1); // an unfinished last step is scored at its last token
        }

        return ends;
    }

    /// <summary>Whether <paramref name="text"/>[..<paramref name="end"/>] ends with <paramref name="marker"/> (false for an empty marker).</summary>
    public static bool EndsWith(StringBuilder text, string marker, int end)
    {
        if (marker.Length == 0 || end < marker.Length)
        {
            return false;
        }

        for (var i = 0; i < marker.Length; i++)
        {
            if (text[end - marker.Length + i] != marker[i])
            {
                return false;
            }
        }

        return true;
    }
}
