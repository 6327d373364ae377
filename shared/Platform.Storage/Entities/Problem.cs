namespace Platform.Storage.Entities;

/// <summary>One problem of a batch; (BatchId, Index) is its business key.</summary>
public class Problem
{
    public Guid Id { get; set; }
    public Guid BatchId { get; set; }

    /// <summary>Position in the submitted batch, from 0.</summary>
    public int Index { get; set; }

    public string Text { get; set; } = "";
    public string? ReferenceAnswer { get; set; }
    public string? Level { get; set; }
    public string? Subject { get; set; }
    public string? ExternalId { get; set; }

    public Batch? Batch { get; set; }
}
