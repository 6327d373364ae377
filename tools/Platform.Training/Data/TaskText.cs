using Platform.Inference.Tokenization;
using Platform.Reasoning.Arithmetic;

namespace Platform.Training.Data;

/// <summary>How a problem and its solution become one token sequence: &lt;bos&gt; prompt solution &lt;eos&gt;.</summary>
public static class TaskText
{
    public static readonly CharTokenizer Tokenizer = CharTokenizer.ForAlphabet(ArithmeticFormat.Alphabet);

    /// <summary>Prompt ids (with &lt;bos&gt;) for a problem.</summary>
    public static int[] PromptIds(string problem) => [Tokenizer.BosId!.Value, .. Tokenizer.Encode(ArithmeticFormat.Prompt(problem))];

    /// <summary>The whole sequence and where the solution starts.</summary>
    public static (int[] Ids, int SolutionStart) Sequence(string problem, string solution, bool withEos = true)
    {
        var prompt = PromptIds(problem);
        int[] ids = withEos
            ? [.. prompt, .. Tokenizer.Encode(solution), Tokenizer.EosId]
            : [.. prompt, .. Tokenizer.Encode(solution)];
        return (ids, prompt.Length);
    }
}

/// <summary>Training problems from a seed, never one of the held-out problems.</summary>
public sealed class ProblemStream(ArithmeticSpec spec, ulong seed, IReadOnlySet<string> excluded)
{
    private readonly ArithmeticGenerator _generator = new(spec, seed);

    public long Skipped { get; private set; }

    public ArithmeticProblem Next()
    {
        while (true)
        {
            var p = _generator.Next();
            if (!excluded.Contains(p.Problem))
            {
                return p;
            }

            Skipped++;
        }
    }

    public static IReadOnlySet<string> HeldOut(string? path) =>
        path is null ? new HashSet<string>() : ArithmeticRecord.ReadAll(path).Select(r => r.Problem).ToHashSet();
}
