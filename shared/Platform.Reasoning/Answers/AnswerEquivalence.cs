using Platform.Reasoning.Answers.Grading;

namespace Platform.Reasoning.Answers;

/// <summary>Whether two answers are the same: the grader of <see cref="MathGrader"/> (LaTeX and plain math, exact and symbolic).</summary>
public static class AnswerEquivalence
{
    public static bool Equivalent(string? gold, string? predicted) => MathGrader.Equivalent(gold, predicted);

    /// <summary>The verdict with both normalised forms and the rule that decided (for <c>ttc grade --explain</c>).</summary>
    public static GradeVerdict Explain(string gold, string predicted) => MathGrader.Grade(gold, predicted);
}
