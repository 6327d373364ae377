using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Reasoning.Revisions;

namespace Platform.Training.Data;

/// <summary>A training problem with the generator's own samples and which of them reach the reference answer.</summary>
public sealed record RevisionRecord(
    [property: JsonPropertyName("problem")] string Problem,
    [property: JsonPropertyName("answer")] string Answer,
    [property: JsonPropertyName("level")] int Level,
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("samples")] string[] Samples,
    [property: JsonPropertyName("correct")] bool[] Correct)
{
    public static IEnumerable<RevisionRecord> ReadAll(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<RevisionRecord>(l)!);
}

/// <summary>One revision example: earlier attempts, oldest first, and the attempt to learn.</summary>
public sealed record RevisionTrajectory(string Problem, IReadOnlyList<string> Attempts, string Target);

/// <summary>
/// Builds revision trajectories as Snell et al. do: up to <c>maxAttempts</c> of the generator's wrong
/// samples in context, then a correct solution chosen as the one closest (edit distance) to the last
/// wrong attempt, so the model learns to keep what was right and fix what was not. A share of the
/// trajectories ends in a correct attempt whose closest correct solution is itself, so the model also
/// learns to leave a right answer alone. Problems the generator always solves are kept rarely.
/// </summary>
public sealed class RevisionTrajectories(int maxAttempts, int maxAttemptChars, double keepShare = 0.15, double solvedShare = 0.3)
{
    public RevisionTrajectory? Build(RevisionRecord r, Random random)
    {
        var samples = r.Samples.Select(s => s.Length > maxAttemptChars ? s[..maxAttemptChars] : s).ToArray();
        var wrong = samples.Where((_, i) => !r.Correct[i]).ToList();
        var right = samples.Where((_, i) => r.Correct[i]).ToList();
        if (wrong.Count == 0 && random.NextDouble() >= solvedShare)
        {
            return null;
        }

        var keep = wrong.Count == 0 || random.NextDouble() < keepShare;
        List<string> attempts;
        if (!keep)
        {
            var count = random.Next(1, Math.Min(maxAttempts, wrong.Count) + 1);
            attempts = [.. wrong.OrderBy(_ => random.Next()).Take(count)];
        }
        else
        {
            var last = right.Count > 0 ? right[random.Next(right.Count)] : r.Reference;
            var before = random.Next(0, maxAttempts);
            attempts = [.. samples.OrderBy(_ => random.Next()).Take(before), last];
        }

        // The target: the correct solution closest to the last attempt (the reference is always a candidate).
        var target = right.Append(r.Reference).MinBy(t => RevisionFormat.EditDistance(attempts[^1], t))!;
        return new RevisionTrajectory(r.Problem, attempts, target);
    }

    /// <summary>Ids of &lt;bos&gt; prompt context target &lt;eos&gt; and where the target starts; older attempts are dropped to fit <paramref name="contextTokens"/>.</summary>
    public (int[] Ids, int Start) Encode(RevisionTrajectory t, int contextTokens)
    {
        var prompt = TaskText.PromptIds(t.Problem);
        var target = TaskText.Tokenizer.Encode(t.Target);
        var room = contextTokens - prompt.Length - target.Length - 1;
        var context = RevisionFormat.Context(t.Attempts, maxAttempts, RevisionFormat.DefaultSeparator, Math.Max(0, room));
        int[] ids = [.. prompt, .. TaskText.Tokenizer.Encode(context), .. target, TaskText.Tokenizer.EosId];
        return (ids, prompt.Length + context.Length);
    }
}
