using System.Globalization;
using System.Text;

namespace Platform.Reasoning.Answers.Grading;

/// <summary>Precision and recall of the grader per category of a labelled case table (positives: equivalent pairs).</summary>
public sealed class GradingReport
{
    private readonly SortedDictionary<string, int[]> _counts = new(StringComparer.Ordinal); // TP, FP, TN, FN

    public void Add(string category, bool expected, bool got)
    {
        if (!_counts.TryGetValue(category, out var c))
        {
            _counts[category] = c = new int[4];
        }

        c[(expected, got) switch { (true, true) => 0, (false, true) => 1, (false, false) => 2, _ => 3 }]++;
    }

    public int FalseAccepts => _counts.Values.Sum(c => c[1]);
    public int FalseRejects => _counts.Values.Sum(c => c[3]);
    public int Cases => _counts.Values.Sum(c => c.Sum());

    /// <summary>Share of non-equivalent pairs judged not equivalent (1 when there are none).</summary>
    public double TrueNegativeRate => Rate(2, 1);

    /// <summary>Share of equivalent pairs judged equivalent (recall; 1 when there are none).</summary>
    public double TruePositiveRate => Rate(0, 3);

    /// <summary>The mean of the true-positive and true-negative rates: accuracy that the mix of pairs does not skew.</summary>
    public double BalancedAccuracy => (TruePositiveRate + TrueNegativeRate) / 2;

    private double Rate(int right, int wrong)
    {
        var r = _counts.Values.Sum(c => c[right]);
        var w = _counts.Values.Sum(c => c[wrong]);
        return r + w == 0 ? 1 : (double)r / (r + w);
    }

    public string Markdown()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("| category | cases | equivalent pairs | precision | recall | false accepts | false rejects |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        void Row(string name, int[] c)
        {
            var precision = c[0] + c[1] == 0 ? "-" : (100.0 * c[0] / (c[0] + c[1])).ToString("F1", inv) + "%";
            var recall = c[0] + c[3] == 0 ? "-" : (100.0 * c[0] / (c[0] + c[3])).ToString("F1", inv) + "%";
            sb.AppendLine(inv, $"| {name} | {c.Sum()} | {c[0] + c[3]} | {precision} | {recall} | {c[1]} | {c[3]} |");
        }

        foreach (var (category, c) in _counts)
        {
            Row(category, c);
        }

        Row("all", Enumerable.Range(0, 4).Select(i => _counts.Values.Sum(c => c[i])).ToArray());
        sb.AppendLine();
        sb.AppendLine(inv, $"True-negative rate {100 * TrueNegativeRate:F1}%, balanced accuracy {100 * BalancedAccuracy:F1}%.");
        return sb.ToString();
    }
}
