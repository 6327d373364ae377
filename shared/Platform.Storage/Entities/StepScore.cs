namespace Platform.Storage.Entities;

/// <summary>The PRM score of one step of a candidate; (CandidateId, StepIndex) is its business key.</summary>
public class StepScore
{
    public Guid Id { get; set; }
    public Guid CandidateId { get; set; }
    public int StepIndex { get; set; }
    public double Score { get; set; }
    public string Model { get; set; } = "";
}
