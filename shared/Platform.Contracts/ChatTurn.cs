namespace Platform.Contracts;

/// <summary>One turn of a conversation (role system, user or assistant), as OpenAI's chat messages carry it.</summary>
public record ChatTurn
{
    public string Role { get; init; } = "";
    public string Content { get; init; } = "";
}
