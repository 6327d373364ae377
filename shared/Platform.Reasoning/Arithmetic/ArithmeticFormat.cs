using System.Globalization;
using System.Text;
using Platform.Reasoning.Answers;

namespace Platform.Reasoning.Arithmetic;

/// <summary>
/// The text layout of the arithmetic task, shared by training, the models' manifests and grading:
/// prompt <c>Q: (37+48)*3-19\n</c>, one operation per line (<c>37+48=85\n</c>), final line <c>A: 236\n</c>.
/// </summary>
public static class ArithmeticFormat
{
    public const string PromptPrefix = "Q: ";
    public const string AnswerPrefix = "A: ";
    public const char StepDelimiter = '\n';

    /// <summary>The model's prompt template; <c>{problem}</c> is replaced by the expression.</summary>
    public const string PromptTemplate = PromptPrefix + "{problem}\n";

    /// <summary>Every character the task uses, in vocabulary order (after the special tokens).</summary>
    public const string Alphabet = "0123456789+-*()=\nQA: ";

    public static string Prompt(string problem) => PromptTemplate.Replace("{problem}", problem, StringComparison.Ordinal);

    public static string Solution(ArithmeticExpression expression)
    {
        var sb = new StringBuilder();
        foreach (var step in expression.Steps())
        {
            sb.Append(step.ToString()).Append(StepDelimiter);
        }

        sb.Append(AnswerPrefix).Append(expression.Value.ToString(CultureInfo.InvariantCulture)).Append(StepDelimiter);
        return sb.ToString();
    }

    /// <summary>The value on the last <c>A: </c> line, or null when there is none.</summary>
    public static string? ExtractAnswer(string solution) => AnswerExtractor.Extract(solution, AnswerFormat.Arithmetic);

    /// <summary>Splits a solution into its steps: each line, with its delimiter, that is not empty.</summary>
    public static IReadOnlyList<string> SplitSteps(string solution) =>
        solution.Split(StepDelimiter).Where(l => l.Length > 0).ToList();
}
