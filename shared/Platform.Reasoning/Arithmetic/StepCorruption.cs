using System.Globalization;

namespace Platform.Reasoning.Arithmetic;

/// <summary>The kinds of wrong step a verifier must tell from the right one.</summary>
public enum CorruptionKind
{
    /// <summary>The result is one more or one less than the true result.</summary>
    OffByOne,

    /// <summary>One digit of the result is replaced by another digit.</summary>
    DigitChanged,

    /// <summary>One operand is not the one the problem calls for; the arithmetic on it is true.</summary>
    WrongOperand,
}

/// <summary>
/// Turns a right step into a wrong one of a chosen kind. Used to build verifier training negatives
/// (reference prefixes with one corrupted step) and the pairwise probe that measures whether a
/// verifier checks arithmetic. Deterministic for a given <see cref="Random"/> state.
/// </summary>
public static class StepCorruption
{
    public static readonly IReadOnlyList<CorruptionKind> Kinds = [CorruptionKind.OffByOne, CorruptionKind.DigitChanged, CorruptionKind.WrongOperand];

    /// <summary>A wrong version of <paramref name="step"/> (always different from it, never negative).</summary>
    public static ArithmeticStep Corrupt(ArithmeticStep step, CorruptionKind kind, Random random)
    {
        switch (kind)
        {
            case CorruptionKind.OffByOne:
            {
                var result = step.Result == 0 || random.Next(2) == 0 ? step.Result + 1 : step.Result - 1;
                return step with { Result = result };
            }

            case CorruptionKind.DigitChanged:
            {
                var digits = step.Result.ToString(CultureInfo.InvariantCulture).ToCharArray();
                var at = random.Next(digits.Length);
                char replacement;
                do
                {
                    // A leading digit stays non-zero so the number keeps its length.
                    replacement = (char)('0' + random.Next(at == 0 && digits.Length > 1 ? 1 : 0, 10));
                }
                while (replacement == digits[at]);

                digits[at] = replacement;
                return step with { Result = int.Parse(new string(digits), CultureInfo.InvariantCulture) };
            }

            default:
            {
                for (var attempt = 0; attempt < 64; attempt++)
                {
                    var changeLeft = random.Next(2) == 0;
                    var original = changeLeft ? step.Left : step.Right;
                    var delta = random.Next(1, original < 10 ? 4 : 10) * (random.Next(2) == 0 ? 1 : -1);
                    var operand = original + delta;
                    if (operand < 0 || (step.Operator == '*' && operand < 2))
                    {
                        continue;
                    }

                    var (left, right) = changeLeft ? (operand, step.Right) : (step.Left, operand);
                    var result = ArithmeticStep.Apply(left, step.Operator, right);
                    if (result >= 0 && result != step.Result)
                    {
                        return new ArithmeticStep(left, step.Operator, right, result);
                    }
                }

                // Every nearby operand failed (rare): fall back to a result error.
                return Corrupt(step, CorruptionKind.OffByOne, random);
            }
        }
    }

    /// <summary>
    /// The reference solution of <paramref name="expression"/> up to and including step
    /// <paramref name="index"/>, with that step replaced by <paramref name="replacement"/> when given.
    /// </summary>
    public static string Prefix(ArithmeticExpression expression, int index, ArithmeticStep? replacement = null)
    {
        var steps = expression.Steps();
        if (index < 0 || index >= steps.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"step {index} of a {steps.Count}-step solution");
        }

        var lines = steps.Take(index + 1).Select(s => s.ToString()).ToArray();
        if (replacement is { } r)
        {
            lines[index] = r.ToString();
        }

        return string.Concat(lines.Select(l => l + ArithmeticFormat.StepDelimiter));
    }
}
