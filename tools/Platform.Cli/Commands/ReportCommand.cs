using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Platform.Cli.Reports;

namespace Platform.Cli.Commands;

/// <summary>
/// <c>ttc report --eval FILE.json... --out DIR</c>: the scaling picture of a set of <c>ttc eval</c>
/// summaries — a markdown table and PNG plots (ScottPlot) of accuracy against generated tokens and
/// against FLOPs per strategy, and accuracy per level. Each file is one configuration; files named
/// <c>SERIES-N.json</c> (as benchmarks/search.sh writes them) form one curve per series over N. With
/// <c>--large</c>, a larger model's run is the reference: the small model's series against it at
/// matched FLOPs (Snell et al. §7).
/// </summary>
public static partial class ReportCommand
{
    public static Command Create()
    {
        var evals = new Option<FileInfo[]>("--eval") { Description = "ttc eval --json summaries (SERIES-N.json)", AllowMultipleArgumentsPerToken = true };
        var batches = new Option<Guid[]>("--batch") { Description = "Batches in PostgreSQL (one configuration each: its strategy and N)", AllowMultipleArgumentsPerToken = true };
        var connection = BatchesCommands.Connection();
        var large = new Option<FileInfo?>("--large")
        {
            Description = "A larger model's ttc eval summary (e.g. its greedy run): adds small-vs-large.png and the FLOPs at which each series matches it",
        };
        var sweep = new Option<string?>("--sweep")
        {
            Description = "A sweep (its key) recorded by ttc sweep run or the Router's scheduled job: its cells, accuracy per oracle difficulty bin, and the compute-optimal curve",
        };
        var sweepDb = new Option<FileInfo?>("--sweep-db") { Description = "With --sweep: the SQLite file of a ttc sweep run (OUT/sweep.db); without it, the sweep is read from --connection" };
        var oracle = new Option<string>("--oracle") { Description = "With --sweep: the cell whose samples give the oracle difficulty bins", DefaultValueFactory = _ => "majority-64" };
        var probes = new Option<string>("--probes") { Description = "With --sweep: the cell of probes that predict difficulty for the compute-optimal curve", DefaultValueFactory = _ => "weighted-bon-4" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for report.md and the PNG plots", Required = true };
        var command = new Command("report", "Markdown summary and PNG plots of accuracy against compute from eval summaries or stored batches");
        command.Options.Add(evals);
        command.Options.Add(batches);
        command.Options.Add(connection);
        command.Options.Add(large);
        command.Options.Add(sweep);
        command.Options.Add(sweepDb);
        command.Options.Add(oracle);
        command.Options.Add(probes);
        command.Options.Add(output);
        command.SetAction(async (parse, ct) =>
        {
            var points = new List<Point>();
            if (parse.GetValue(batches) is { Length: > 0 } ids)
            {
                await using var db = BatchesCommands.Open(parse, connection);
                if (db is null)
                {
                    return 2;
                }

                foreach (var id in ids)
                {
                    if (await BatchReport.Load(db, id, ct) is not { Problems: > 0 } stored)
                    {
                        Console.Error.WriteLine($"error: --batch: no batch {id} with runs");
                        return 2;
                    }

                    // A batch of one configuration is named by it ("weighted-best-of-n@16"); a mixed one by its id.
                    var key = stored.ByStrategy.Count == 1 ? stored.ByStrategy.Keys.Single() : $"batch {id:N}";
                    var at = key.LastIndexOf('@');
                    points.Add(at > 0 && int.TryParse(key[(at + 1)..], CultureInfo.InvariantCulture, out var n) ? new Point(key[..at], n, stored) : new Point(key, 1, stored));
                }
            }

            string? sweepMarkdown = null;
            if (parse.GetValue(sweep) is { } sweepKey)
            {
                var folderOut = parse.GetValue(output)!;
                folderOut.Create();
                var loaded = await SweepReport.Write(parse.GetValue(sweepDb) is { } file ? Platform.Operations.Sweeps.SweepRuns.OpenReadOnly(file.FullName) : BatchesCommands.Open(parse, connection),
                    sweepKey, parse.GetValue(oracle)!, parse.GetValue(probes)!, folderOut, ct);
                if (loaded is null)
                {
                    return 2;
                }

                points.AddRange(loaded.Value.Points.Select(p => new Point(p.Series, p.N, p.Report)));
                sweepMarkdown = loaded.Value.Markdown;
            }

            if (points.Count == 0 && parse.GetValue(evals) is not { Length: > 0 })
            {
                Console.Error.WriteLine("error: give --eval FILE..., --batch ID... or --sweep KEY");
                return 2;
            }

            foreach (var file in parse.GetValue(evals) ?? [])
            {
                if (!file.Exists)
                {
                    Console.Error.WriteLine($"error: --eval: {file.FullName} does not exist");
                    return 2;
                }

                var report = JsonSerializer.Deserialize<BatchReport>(File.ReadAllText(file.FullName), BatchReport.Json);
                if (report is null || report.Problems == 0)
                {
                    Console.Error.WriteLine($"error: --eval: {file.Name} is not a ttc eval summary with problems");
                    return 2;
                }

                var name = Path.GetFileNameWithoutExtension(file.Name);
                var match = SeriesAndN().Match(name);
                var (series, n) = match.Success ? (match.Groups[1].Value, int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture)) : (name, 1);
                points.Add(new Point(series, n, report));
            }

            var folder = parse.GetValue(output)!;
            folder.Create();
            var curves = points.GroupBy(p => p.Series).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            Plot(curves, folder, "accuracy-vs-tokens.png", "generated tokens per problem", p => (double)p.Report.GeneratedTokens / p.Report.Problems);
            Plot(curves, folder, "accuracy-vs-flops.png", "FLOPs per problem (verifier included)", FlopsPerProblem);
            var markdown = Markdown(points) + sweepMarkdown;
            if (parse.GetValue(large) is { } largeFile)
            {
                var reference = largeFile.Exists ? JsonSerializer.Deserialize<BatchReport>(File.ReadAllText(largeFile.FullName), BatchReport.Json) : null;
                if (reference is not { Problems: > 0 })
                {
                    Console.Error.WriteLine($"error: --large: {largeFile.FullName} is not a ttc eval summary with problems");
                    return 2;
                }

                var name = Path.GetFileNameWithoutExtension(largeFile.Name);
                var largeSeries = SeriesAndN().Match(name) is { Success: true } m ? m.Groups[1].Value : name;
                var others = curves.Where(c => c.Key != largeSeries).ToList(); // the larger model's own run, if also given, is the reference only
                SmallAgainstLarge(others, reference, name, folder);
                markdown += Matched(others, reference, name);
            }

            File.WriteAllText(Path.Combine(folder.FullName, "report.md"), markdown);
            Console.WriteLine($"wrote report.md and the plots ({points.Count} configurations, {curves.Count} series) to {folder.FullName}");
            return 0;
        });
        return command;
    }

    private sealed record Point(string Series, int N, BatchReport Report);

    [GeneratedRegex(@"^(.*)-(\d+)$")]
    internal static partial Regex SeriesAndN();

    /// <summary>Accuracy against a cost on a log axis: one line per series through its budgets (<paramref name="decorate"/> adds to the plot before it is saved).</summary>
    private static void Plot(List<IGrouping<string, Point>> curves, DirectoryInfo folder, string file, string label, Func<Point, double> cost, Action<ScottPlot.Plot>? decorate = null) =>
        Lines([.. curves.Select(c => (c.Key, c.OrderBy(p => p.N).Select(p => (cost(p), p.Report.Accuracy)).ToList()))], folder, file, label, decorate);

    /// <summary>Accuracy against a cost on a log axis, one line per series through its points (cost, accuracy 0..1).</summary>
    internal static void Lines(IReadOnlyList<(string Name, List<(double Cost, double Accuracy)> Points)> series, DirectoryInfo folder, string file, string label, Action<ScottPlot.Plot>? decorate = null)
    {
        var plot = new ScottPlot.Plot();
        plot.Add.Palette = new ScottPlot.Palettes.Category20(); // a sweep draws up to 13 series
        foreach (var (name, points) in series)
        {
            var line = plot.Add.Scatter(points.Select(p => Math.Log10(Math.Max(1e-9, p.Cost))).ToArray(), points.Select(p => 100 * p.Accuracy).ToArray());
            line.LegendText = name;
            line.MarkerSize = 7;
        }

        // log10 on the axis, labelled in the cost's own units
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = x => Units(Math.Pow(10, x)) };
        plot.XLabel(label + " (log scale)");
        plot.YLabel("accuracy (%)");
        decorate?.Invoke(plot);
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(Path.Combine(folder.FullName, file), 1000, 650);
    }

    private static double FlopsPerProblem(Point p) => p.Report.Flops / p.Report.Problems;

    /// <summary>Accuracy against FLOPs of every series, with the larger model's point and its accuracy and FLOPs as reference lines.</summary>
    private static void SmallAgainstLarge(List<IGrouping<string, Point>> curves, BatchReport large, string name, DirectoryInfo folder) =>
        Plot(curves, folder, "small-vs-large.png", "FLOPs per problem (verifier included)", FlopsPerProblem, plot =>
        {
            var x = Math.Log10(large.Flops / large.Problems);
            var point = plot.Add.Scatter(new[] { x }, new[] { 100 * large.Accuracy });
            point.LegendText = name;
            point.MarkerSize = 14;
            point.MarkerShape = ScottPlot.MarkerShape.FilledDiamond;
            plot.Add.HorizontalLine(100 * large.Accuracy).LinePattern = ScottPlot.LinePattern.Dashed;
            plot.Add.VerticalLine(x).LinePattern = ScottPlot.LinePattern.Dotted;
            plot.Title($"test-time compute against {name}: dashed, its accuracy; dotted, its FLOPs");
        });

    /// <summary>Per series: the cheapest configuration at least as accurate as the larger model, in multiples of its FLOPs.</summary>
    private static string Matched(List<IGrouping<string, Point>> curves, BatchReport large, string name)
    {
        var reference = large.Flops / large.Problems;
        var text = new StringBuilder().AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"## Against {name} ({100 * large.Accuracy:0.0}%, {reference:0.00e+00} FLOPs per problem)").AppendLine();
        text.AppendLine("![small against large](small-vs-large.png)").AppendLine();
        text.AppendLine("| series | cheapest configuration at least as accurate | its accuracy | FLOPs / problem | x the larger model's FLOPs |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var curve in curves)
        {
            var match = curve.Where(p => p.Report.Accuracy >= large.Accuracy).OrderBy(FlopsPerProblem).FirstOrDefault();
            text.AppendLine(match is null
                ? $"| {curve.Key} | none measured | - | - | - |"
                : string.Create(CultureInfo.InvariantCulture,
                    $"| {curve.Key} | N = {match.N} | {100 * match.Report.Accuracy:0.0}% | {FlopsPerProblem(match):0.00e+00} | {FlopsPerProblem(match) / reference:0.0} |"));
        }

        return text.ToString();
    }

    private static string Units(double value) =>
        value >= 1e5 ? value.ToString("0.#e0", CultureInfo.InvariantCulture) : value.ToString(value >= 10 ? "0" : "0.#", CultureInfo.InvariantCulture);

    private static string Markdown(List<Point> points)
    {
        var levels = points.SelectMany(p => p.Report.ByLevel.Keys).Distinct().OrderBy(l => l, StringComparer.Ordinal).ToList();
        var text = new StringBuilder();
        text.AppendLine("# Accuracy against compute").AppendLine();
        text.AppendLine("![accuracy against generated tokens](accuracy-vs-tokens.png)").AppendLine();
        text.AppendLine("![accuracy against FLOPs](accuracy-vs-flops.png)").AppendLine();
        text.AppendLine("| series | N | problems | accuracy | generated tokens / problem | FLOPs / problem |" + string.Concat(levels.Select(l => $" level {l} |")));
        text.AppendLine("|---|---|---|---|---|---|" + string.Concat(levels.Select(_ => "---|")));
        foreach (var p in points.OrderBy(p => p.Series, StringComparer.Ordinal).ThenBy(p => p.N))
        {
            var r = p.Report;
            text.Append(CultureInfo.InvariantCulture, $"| {p.Series} | {p.N} | {r.Problems} | {100 * r.Accuracy:0.0}% | {(double)r.GeneratedTokens / r.Problems:0} | {r.Flops / r.Problems:0.00e+00} |");
            foreach (var level in levels)
            {
                text.Append(r.ByLevel.TryGetValue(level, out var s) ? string.Create(CultureInfo.InvariantCulture, $" {100 * s.Accuracy:0}% |") : " - |");
            }

            text.AppendLine();
        }

        return text.ToString();
    }
}
