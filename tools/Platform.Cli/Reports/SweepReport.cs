using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Cli.Commands;
using Platform.Reasoning.Policy;
using Platform.Operations.Sweeps;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Cli.Reports;

/// <summary>
/// <c>ttc report --sweep KEY</c>: a recorded sweep's cells as report points, accuracy against tokens per
/// strategy within each oracle difficulty bin (one plot per bin), and the compute-optimal curve (2-fold,
/// difficulty predicted by the probe cell) against weighted best-of-N and majority voting. A sweep run
/// by the Router keeps its cells' batches in the same PostgreSQL; one run by <c>ttc sweep run</c> keeps
/// them in OUT/NAME.db beside its sweep.db.
/// </summary>
public static class SweepReport
{
    public sealed record CellPoint(string Series, int N, BatchReport Report);

    /// <summary>Writes the per-bin and compute-optimal plots into <paramref name="folder"/>; the cells as points and the markdown to add; null after saying why.</summary>
    public static async Task<(List<CellPoint> Points, string Markdown)?> Write(PlatformDbContext? db, string key, string oracle, string probes, DirectoryInfo folder, CancellationToken ct)
    {
        if (db is null)
        {
            return null;
        }

        await using var _ = db;
        // Only the columns the report reads, so sweep files of earlier schema versions read as well.
        var sweep = await db.Sweeps.AsNoTracking().Where(s => s.Key == key).Select(s => new { s.Id, s.Key, s.Status, s.ProblemCount, s.ConfigJson }).SingleOrDefaultAsync(ct);
        if (sweep is null)
        {
            Console.Error.WriteLine($"error: --sweep: no sweep '{key}' (ttc sweep status)");
            return null;
        }

        var cells = await db.SweepCells.AsNoTracking().Where(c => c.SweepId == sweep.Id && c.Status == SweepCellStatus.Completed && c.BatchId != null)
            .OrderBy(c => c.N).ThenBy(c => c.Name).ToListAsync(ct);
        using var config = JsonDocument.Parse(sweep.ConfigJson);
        var output = config.RootElement.TryGetProperty("output", out var o) ? o.GetString() : null;
        var points = new List<CellPoint>();
        var configurations = new List<SweepRuns>();
        foreach (var cell in cells)
        {
            // The cell's runs: a ttc sweep run's eval database, else the sweep's own database.
            var file = output is null ? null : Path.Combine(output, cell.Name + ".db");
            await using var own = file is not null && File.Exists(file) ? SweepRuns.OpenReadOnly(file) : null;
            var source = own ?? db;
            if (await BatchReport.Load(source, cell.BatchId!.Value, ct) is not { Problems: > 0 } report)
            {
                Console.Error.WriteLine($"error: --sweep: cell {cell.Name}: its batch {cell.BatchId} has no runs{(file is null ? "" : $" (looked in {file})")}");
                return null;
            }

            var match = ReportCommand.SeriesAndN().Match(cell.Name);
            points.Add(match.Success ? new CellPoint(match.Groups[1].Value, cell.N, report) : new CellPoint(cell.Name, cell.N, report));
            configurations.Add(await SweepRuns.Load(source, cell.Name, cell.BatchId, ct));
        }

        var budgets = cells.Select(c => c.N).Append(1).Distinct().Order().ToList();
        var text = new StringBuilder().AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"## Sweep {sweep.Key}: {sweep.Status}, {cells.Count} completed cells on {sweep.ProblemCount} problems").AppendLine();
        if (!configurations.Any(c => c.Name == oracle))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"No oracle cell ({oracle}) completed: no difficulty bins.");
            return (points, text.ToString());
        }

        // Per oracle difficulty bin: accuracy against tokens per strategy (sampling strategies subsampled to every budget).
        var byBin = SweepFit.Fit(configurations, new SweepFitSettings { Oracle = oracle, Budgets = budgets });
        text.AppendLine("Accuracy within each oracle difficulty bin (quantiles of pass@1 over the oracle cell's samples; 1 = easiest):").AppendLine();
        for (var bin = 1; bin <= DifficultyBins.Count; bin++)
        {
            var inBin = byBin.Measured.Where(m => m.Bin == bin).ToList();
            if (inBin.Count == 0)
            {
                continue;
            }

            var problems = inBin.Select(m => m.ProblemId).Distinct().Count();
            foreach (var (suffix, label, cost) in new (string, string, Func<SweepOutcome, double>)[] { ("", "generated tokens", m => m.Tokens), ("-flops", "FLOPs (verifier included)", m => m.Flops) })
            {
                ReportCommand.Lines([.. inBin.GroupBy(m => m.Strategy).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key,
                        g.GroupBy(m => m.Budget).OrderBy(b => b.Key).Select(b => (b.Average(cost), b.Average(m => m.Correct ? 1.0 : 0.0))).ToList()))],
                    folder, $"bin-{bin}{suffix}.png", $"{label} per problem, bin {bin} ({problems} problems)");
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"![bin {bin}, tokens](bin-{bin}.png) ![bin {bin}, FLOPs](bin-{bin}-flops.png)").AppendLine();
        }

        if (!configurations.Any(c => c.Name == probes))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"No probe cell ({probes}) completed: no compute-optimal curve.");
            return (points, text.ToString());
        }

        // The compute-optimal curve: difficulty predicted by the probes, each bin's choice scored on held-out halves.
        var fit = SweepFit.Fit(configurations, new SweepFitSettings { Oracle = oracle, Probes = probes, Budgets = budgets });
        var curve = fit.Curve.Where(p => p.Budget >= fit.ProbeCount).ToList();
        var probeTokens = fit.Policy?.ProbeTokens ?? 0;
        ReportCommand.Lines(
            [
                ("compute-optimal (2-fold, probes included)", [.. curve.Select(p => (p.Tokens + probeTokens, p.Accuracy))]),
                ("weighted best-of-N", [.. curve.Where(p => p.WeightedAccuracy is not null).Select(p => (p.WeightedTokens!.Value, p.WeightedAccuracy!.Value))]),
                ("majority", [.. curve.Where(p => p.MajorityAccuracy is not null).Select(p => (p.MajorityTokens!.Value, p.MajorityAccuracy!.Value))]),
            ], folder, "compute-optimal.png", "generated tokens per problem");
        if (fit.Agreement is { } a)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Difficulty from the mean score of {fit.ProbeCount} probes ({probes}) equals the oracle bin for {100 * a.Exact:0.0}% of {a.Problems} problems, within one for {100 * a.Near:0.0}%.").AppendLine();
        }

        text.AppendLine("![compute-optimal against best-of-N and majority](compute-optimal.png)").AppendLine();
        text.AppendLine("| budget N | compute-optimal (2-fold) | tokens / problem (probes included) | weighted BoN | tokens / problem | majority | tokens / problem |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        static string P(double? v) => v is { } x ? string.Create(CultureInfo.InvariantCulture, $"{100 * x:0.0}%") : "-";
        static string T(double? v) => v is { } x ? x.ToString("0", CultureInfo.InvariantCulture) : "-";
        foreach (var p in curve)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {p.Budget} | {P(p.Accuracy)} | {T(p.Tokens + probeTokens)} | {P(p.WeightedAccuracy)} | {T(p.WeightedTokens)} | {P(p.MajorityAccuracy)} | {T(p.MajorityTokens)} |");
        }

        text.AppendLine().AppendLine("The policy's choice per predicted bin and budget:").AppendLine();
        text.AppendLine("| bin | budget N | strategy | its N | 2-fold accuracy | tokens / problem after the probes |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var c in fit.Choices.Where(c => c.Budget >= fit.ProbeCount))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {c.Bin} | {c.Budget} | {c.Strategy} | {c.StrategyBudget} | {P(c.CrossValidatedAccuracy)} | {c.MeanTokens:0} |");
        }

        return (points, text.ToString());
    }
}
