namespace Platform.Contracts;

/// <summary>A partial solution to continue (empty text for a fresh sample).</summary>
public record GenerationPrefix
{
    /// <summary>The caller's name for this prefix (a search-tree node id); echoed in the reply.</summary>
    public string Key { get; init; } = "";

    /// <summary>Solution text generated so far, appended after the prompt.</summary>
    public string Text { get; init; } = "";

    /// <summary>
    /// "revise" mode: the chain's earlier attempts, oldest first. The Generator shows the revision model as
    /// many of the latest as its manifest allows and its context holds, then samples a new attempt.
    /// </summary>
    public IReadOnlyList<string>? Attempts { get; init; }
}
