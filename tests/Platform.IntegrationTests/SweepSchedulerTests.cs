using System.Text.RegularExpressions;
using Xunit.Abstractions;
using Microsoft.EntityFrameworkCore;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>
/// The scheduled calibration sweep on a cluster: two Router processes share Quartz's ADO.NET job store
/// in PostgreSQL (the migration's ttc.qrtz_* tables); a cron trigger firing every few seconds runs each
/// fire on exactly one of them; each sweep runs its cells as batches through the services (RabbitMQ, the
/// Generator, Verifier and Aggregator), then the policy-fit job stores one policy version per sweep.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed partial class SweepSchedulerTests(Servers servers, ITestOutputHelper output)
{
    [GeneratedRegex(@"sweep job fired: sweep (scheduled:\S+),.*")]
    private static partial Regex Fired();

    [GeneratedRegex(@"sweep job fire skipped: sweep (scheduled:\S+) already completed")]
    private static partial Regex Skipped();

    [Fact]
    public async Task Two_clustered_routers_fire_each_scheduled_sweep_once_and_each_sweep_is_fitted_once()
    {
        // The in-process Router leaves the schedule to the two processes (its nightly cron would replace theirs).
        await using var hosts = await PlatformHosts.Start(servers, new() { ["Router:Sweeps:Enabled"] = "false" });
        var settings = servers.HostSettings(hosts.ConnectionString);
        foreach (var (k, v) in new Dictionary<string, string?>
        {
            ["Storage:MigrateOnStart"] = "false",
            ["Router:Sweeps:Cron"] = "0/5 * * * * ?", // every 5 seconds
            ["Router:Sweeps:Limit"] = "6",
            ["Router:Sweeps:Budgets"] = "4",
            ["Router:Sweeps:Strategies"] = "self-consistency,weighted-best-of-n",
            ["Router:Sweeps:Oracle"] = "majority-4",
            ["Router:Sweeps:Probes"] = "weighted-bon-4",
            ["Router:Sweeps:PollSeconds"] = "1",
            ["Router:Sweeps:CheckinIntervalSeconds"] = "2",
            ["Router:PolicyRefreshSeconds"] = "1",
        })
        {
            settings[k] = v;
        }

        var routers = new[] { ServiceProcess.Start("Router", settings), ServiceProcess.Start("Router", settings) };
        try
        {
            foreach (var router in routers)
            {
                await router.WaitReady(TimeSpan.FromSeconds(90));
            }

            // Three fitted sweeps on the cluster of two.
            var fitted = await WaitForFitted(hosts, 3, DateTimeOffset.MinValue, routers);
            await using (var db = hosts.NewContext())
            {
                var members = await db.Database.SqlQueryRaw<string>("SELECT instance_name AS \"Value\" FROM ttc.qrtz_scheduler_state WHERE sched_name = 'ttc-router'").ToListAsync();
                Assert.True(members.Count == 2, $"cluster members: {string.Join(", ", members)}");
            }

            // SIGKILL the Router that fired last (likely mid-sweep): the other one goes on firing, and
            // recovers a fire the dead one left running (same sweep, its submitted cells waited for, not resubmitted).
            var victim = routers.MaxBy(r => r.Output.Count(l => Fired().IsMatch(l)))!;
            var survivor = routers.Single(r => r != victim);
            var killedAt = DateTimeOffset.UtcNow;
            await victim.Kill();
            fitted = await WaitForFitted(hosts, 2, killedAt, routers);
            foreach (var router in routers)
            {
                await router.DisposeAsync(); // stop firing before counting
            }

            // Each scheduled fire ran on exactly one Router (a recovery of a killed fire resumes it, and says so).
            var fires = routers.SelectMany(r => r.Output.Select(l => Fired().Match(l)).Where(m => m.Success && !m.Value.Contains("recovering", StringComparison.Ordinal))
                .Select(m => m.Groups[1].Value)).ToList();
            Assert.All(fires.GroupBy(f => f), g => Assert.True(g.Count() == 1, $"{g.Key} fired {g.Count()} times"));
            // A duplicate fire of a time that already ran (Quartz can deliver one when a Router replaces the
            // stored trigger at start while another fires it) is skipped, and only for a sweep that did run.
            var skipped = routers.SelectMany(r => r.Output.Select(l => Skipped().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value)).ToList();
            Assert.All(skipped, k => Assert.Contains(k, fires));
            output.WriteLine($"duplicate fires skipped: {(skipped.Count == 0 ? "none" : string.Join(", ", skipped))}");
            for (var i = 0; i < routers.Length; i++)
            {
                output.WriteLine($"router {i + 1}{(routers[i] == victim ? " (killed)" : "")} ran: {string.Join(", ", routers[i].Output.Where(l => Fired().IsMatch(l)).Select(l => l[l.IndexOf("sweep job fired", StringComparison.Ordinal)..]))}");
            }

            Assert.Contains(survivor.Output, l => Fired().IsMatch(l) && DateTimeOffset.Parse(Fired().Match(l).Groups[1].Value["scheduled:".Length..], System.Globalization.CultureInfo.InvariantCulture) > killedAt);

            await using (var db = hosts.NewContext())
            {
                fitted = await db.Sweeps.AsNoTracking().Where(s => s.PolicyVersion != null).ToListAsync();
                foreach (var sweep in fitted)
                {
                    Assert.Equal("completed", sweep.Status);
                    var cells = await db.SweepCells.AsNoTracking().Where(c => c.SweepId == sweep.Id).ToListAsync();
                    Assert.Equal(["majority-4", "weighted-bon-4"], cells.Select(c => c.Name).Order());
                    Assert.All(cells, c => Assert.Equal(SweepCellStatus.Completed, c.Status));
                    foreach (var cell in cells)
                    {
                        Assert.Equal(6, await db.Runs.CountAsync(r => r.BatchId == cell.BatchId && r.Status == RunStatus.Completed));
                        Assert.Equal(6 * 4, await db.Candidates.CountAsync(c => db.Runs.Any(r => r.Id == c.RunId && r.BatchId == cell.BatchId)));
                    }
                }

                // One policy version per fitted sweep, the latest active.
                var versions = await db.Policies.Select(p => p.Version).Distinct().ToListAsync();
                var fittedVersions = await db.Sweeps.Where(s => s.PolicyVersion != null).Select(s => s.PolicyVersion!.Value).ToListAsync();
                Assert.Equal(versions.Order(), fittedVersions.Order());
                Assert.Equal(versions.Max(), await db.Policies.Where(p => p.Active).Select(p => p.Version).Distinct().SingleAsync());
            }

            // ttc sweep status shows the scheduled sweeps and the policy version each was fitted to.
            var status = new StringWriter();
            var console = Spectre.Console.AnsiConsole.Console; // the CLI's tables go through Spectre's console, not Console.Out
            Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(status) });
            Spectre.Console.AnsiConsole.Console.Profile.Width = 200; // one line per sweep
            try
            {
                Assert.Equal(0, await Platform.Cli.Commands.Cli.Build().Parse(["sweep", "status", fitted[0].Key, "--connection", hosts.ConnectionString]).InvokeAsync());
            }
            finally
            {
                Spectre.Console.AnsiConsole.Console = console;
            }

            Assert.Contains($"sweep {fitted[0].Key}: completed, 2 of 2 cells completed", status.ToString());
            Assert.Contains($"fitted to policy version {fitted[0].PolicyVersion}", status.ToString());

            // The report of a scheduled sweep reads its cells' batches from PostgreSQL.
            var folder = Directory.CreateTempSubdirectory("ttc-sweep-report-");
            try
            {
                Assert.Equal(0, await Platform.Cli.Commands.Cli.Build().Parse(["report", "--sweep", fitted[0].Key, "--connection", hosts.ConnectionString,
                    "--oracle", "majority-4", "--probes", "weighted-bon-4", "--out", folder.FullName]).InvokeAsync());
                var report = await File.ReadAllTextAsync(Path.Combine(folder.FullName, "report.md"));
                Assert.Contains($"## Sweep {fitted[0].Key}: completed, 2 completed cells on 6 problems", report);
                Assert.Contains("| 4 | ", report); // the compute-optimal curve at N = 4
                Assert.True(File.Exists(Path.Combine(folder.FullName, "compute-optimal.png")));
                Assert.NotEmpty(folder.GetFiles("bin-*.png"));
            }
            finally
            {
                folder.Delete(recursive: true);
            }
        }
        finally
        {
            foreach (var router in routers)
            {
                await router.DisposeAsync();
            }
        }
    }

    /// <summary>Waits (up to 3 minutes) until <paramref name="count"/> sweeps started after <paramref name="since"/> are fitted; all fitted sweeps.</summary>
    private static async Task<List<Sweep>> WaitForFitted(PlatformHosts hosts, int count, DateTimeOffset since, ServiceProcess[] routers)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            await using var db = hosts.NewContext();
            var fitted = await db.Sweeps.AsNoTracking().Where(s => s.PolicyVersion != null).ToListAsync();
            if (fitted.Count(s => s.StartedAt > since) >= count)
            {
                return fitted;
            }

            Assert.True(DateTime.UtcNow < deadline, $"fewer than {count} sweeps were fitted in time\n{routers[0].Tail()}\n---\n{routers[1].Tail()}");
            await Task.Delay(500);
        }
    }
}
