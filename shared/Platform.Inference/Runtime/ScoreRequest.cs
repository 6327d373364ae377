using Platform.Contracts;

namespace Platform.Inference.Runtime;

/// <summary>
/// A (partial) solution for a verifier: the problem, the solution text, and the delimiter its steps were
/// written with (the generator's recipe; null: the verifier's own).
/// </summary>
public sealed record ScoreRequest(string Problem, string Solution, string? StepDelimiter = null);

/// <summary>The PRM's score of each step of one solution.</summary>
public sealed record StepScores(IReadOnlyList<double> Scores, ComputeUsage Usage, string? Error = null);
