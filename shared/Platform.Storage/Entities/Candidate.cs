namespace Platform.Storage.Entities;

/// <summary>A sampled solution or search-tree node; (RunId, Key) is its business key.</summary>
public class Candidate
{
    public Guid Id { get; set; }
    public Guid RunId { get; set; }

    /// <summary>Name of the candidate within its run (e.g. "r0/s3" or a tree path).</summary>
    public string Key { get; set; } = "";

    /// <summary>The parent node's key for tree searches; null for whole samples.</summary>
    public string? ParentKey { get; set; }

    public int Round { get; set; }
    public string Text { get; set; } = "";
    public int StepCount { get; set; }
    public int TokenCount { get; set; }
    public string FinishReason { get; set; } = "";
    public string? ExtractedAnswer { get; set; }

    /// <summary>The aggregated PRM score used for selection, when scored.</summary>
    public double? Score { get; set; }

    public bool Selected { get; set; }

    /// <summary>
    /// The generator's confidences of the candidate's own text (DeepConf: mean token confidence, lowest and bottom-10%
    /// group confidence, tail confidence), when the Generator reported log-probabilities.
    /// </summary>
    public double? ConfidenceMean { get; set; }

    public double? ConfidenceLowestGroup { get; set; }
    public double? ConfidenceBottom10 { get; set; }
    public double? ConfidenceTail { get; set; }

    /// <summary>Per generated token, the sampled log-probability and the token confidence, two IEEE halves (Platform.Reasoning's TokenLogProbs).</summary>
    public byte[]? TokenLogProbs { get; set; }

    public List<StepScore> StepScores { get; set; } = [];
}
