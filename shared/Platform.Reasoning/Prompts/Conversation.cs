namespace Platform.Reasoning.Prompts;

/// <summary>
/// What a conversation must be for a generator to answer it (the OpenAI-compatible API's <c>messages</c>):
/// turns of role system (or developer, read as system), user or assistant, ending with a user turn. A model
/// without a chat template takes only a user turn, optionally after one system turn: its recipe formats them
/// as it formats a batch problem.
/// </summary>
public static class Conversation
{
    public static readonly IReadOnlyList<string> Roles = ["system", "developer", "user", "assistant"];

    /// <summary>The role a template sees: developer is OpenAI's newer name for system.</summary>
    public static string TemplateRole(string role) => role == "developer" ? "system" : role;

    /// <summary>Null when the model can answer the conversation; otherwise the field (a path under <c>messages</c>) and why not.</summary>
    public static (string Field, string Reason)? Problem(IReadOnlyList<(string? Role, string? Content)> turns, bool chatTemplate, string model)
    {
        if (turns.Count == 0)
        {
            return ("messages", "at least one message is required");
        }

        for (var i = 0; i < turns.Count; i++)
        {
            if (turns[i].Role is not { } role || !Roles.Contains(role))
            {
                return ($"messages[{i}].role", $"role must be one of {string.Join(", ", Roles)} (was '{turns[i].Role}')");
            }

            if (turns[i].Content is null)
            {
                return ($"messages[{i}].content", "content is required (text; tool calls and images are not supported)");
            }
        }

        if (turns[^1].Role != "user")
        {
            return ($"messages[{turns.Count - 1}].role", $"the last message must be a user turn, which the model answers (was '{turns[^1].Role}')");
        }

        if (string.IsNullOrWhiteSpace(turns[^1].Content))
        {
            return ($"messages[{turns.Count - 1}].content", "the last user turn is empty");
        }

        var plain = turns.Count == 1 || (turns.Count == 2 && TemplateRole(turns[0].Role!) == "system");
        return chatTemplate || plain ? null
            : ("messages", $"model '{model}' has no chat template, so it takes one user message, optionally after one system message (was {turns.Count} messages)");
    }

    /// <summary>The system turn a conversation opens with, if any.</summary>
    public static string? System(IReadOnlyList<(string Role, string Content)> turns) =>
        turns.Count > 0 && TemplateRole(turns[0].Role) == "system" ? turns[0].Content : null;
}
