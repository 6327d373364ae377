using Platform.Reasoning.Revisions;

namespace Platform.Inference.Runtime;

/// <summary>
/// The prompt of a revision model: its prompt template, then as many of the chain's latest attempts as
/// its manifest allows (<c>revision.max_attempts</c>) and its context holds after room for the new
/// attempt — the newest attempt always, cut from its start if even it alone does not fit.
/// </summary>
public static class RevisionPrompt
{
    public static string Build(DecoderSession session, string problem, IReadOnlyList<string> attempts, int maxNewTokens)
    {
        var manifest = session.Model.Manifest;
        var revision = manifest.Revision
            ?? throw new ArgumentException($"model '{session.Model.Name}' is not a revision model (its model.json has no 'revision' section)");
        if (attempts.Count == 0)
        {
            throw new ArgumentException("a revision needs at least one earlier attempt");
        }

        var prompt = session.Model.Prompt(problem);
        var room = manifest.Architecture.Context - session.EncodePrompt(prompt).Length - Math.Max(1, maxNewTokens);
        if (room < 1)
        {
            throw new ArgumentException($"the problem and {maxNewTokens} new tokens leave no room for earlier attempts in the context of {manifest.Architecture.Context} tokens");
        }

        for (var k = Math.Min(attempts.Count, revision.MaxAttempts); k >= 1; k--)
        {
            var context = RevisionFormat.Context(attempts, k, revision.Separator);
            if (session.Tokenizer.Encode(context).Length <= room)
            {
                return prompt + context;
            }
        }

        // Even the newest attempt alone is too long: keep its end (for a character tokenizer, exactly the room).
        return prompt + RevisionFormat.Context(attempts, 1, revision.Separator, room);
    }
}
