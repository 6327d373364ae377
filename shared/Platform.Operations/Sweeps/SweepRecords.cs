using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Operations.Sweeps;

/// <summary>
/// A sweep's rows in <c>sweeps</c> and <c>sweep_cells</c>, the same whoever runs it (<c>ttc sweep run</c>
/// embedded, or the Router's nightly job through the services): started once per key with one cell per
/// grid configuration, resumed by key without redoing completed cells, and closed with its status.
/// </summary>
public static class SweepRecords
{
    /// <summary>The sweep of <paramref name="key"/> with its cells (in run order: by N, then name); created with <paramref name="grid"/>'s cells when new.</summary>
    public static async Task<(Sweep Sweep, List<SweepCell> Cells, bool Resumed)> StartOrResume(
        PlatformDbContext db, string key, object config, IReadOnlyList<SweepGrid.Cell> grid, DateTimeOffset now, CancellationToken ct)
    {
        var sweep = await db.Sweeps.SingleOrDefaultAsync(s => s.Key == key, ct);
        var resumed = sweep is not null;
        if (sweep is null)
        {
            sweep = new Sweep { Id = Guid.NewGuid(), Key = key, Status = "running", StartedAt = now, ConfigJson = JsonSerializer.Serialize(config) };
            db.Sweeps.Add(sweep);
            db.SweepCells.AddRange(grid.Select(c => new SweepCell { Id = Guid.NewGuid(), SweepId = sweep.Id, Name = c.Name, Strategy = c.Strategy, N = c.N, ArgsJson = JsonSerializer.Serialize(c.Args) }));
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another process started the same key at the same moment: take its rows.
                db.ChangeTracker.Clear();
                sweep = await db.Sweeps.SingleAsync(s => s.Key == key, ct);
                resumed = true;
            }
        }
        else if (sweep.Status != "running")
        {
            sweep.Status = "running";
            sweep.CompletedAt = null;
            await db.SaveChangesAsync(ct);
        }

        var cells = await db.SweepCells.Where(c => c.SweepId == sweep.Id).OrderBy(c => c.N).ThenBy(c => c.Name).ToListAsync(ct);
        return (sweep, cells, resumed);
    }

    /// <summary>A cell's result (accuracy, tokens and FLOPs per problem summed over its problems).</summary>
    public static void Complete(SweepCell cell, Guid batchId, int problems, double accuracy, long generatedTokens, double flops, DateTimeOffset now)
    {
        (cell.Status, cell.BatchId, cell.Problems, cell.Accuracy, cell.GeneratedTokens, cell.Flops, cell.Error, cell.CompletedAt) =
            (SweepCellStatus.Completed, batchId, problems, accuracy, generatedTokens, flops, null, now);
    }

    public static void Fail(SweepCell cell, string error, DateTimeOffset now) => (cell.Status, cell.Error, cell.CompletedAt) = (SweepCellStatus.Failed, error, now);

    /// <summary>Closes the sweep: completed when every cell is, failed otherwise.</summary>
    public static async Task Finish(PlatformDbContext db, Sweep sweep, IReadOnlyList<SweepCell> cells, DateTimeOffset now, CancellationToken ct)
    {
        sweep.Status = cells.All(c => c.Status == SweepCellStatus.Completed) ? "completed" : "failed";
        sweep.CompletedAt = now;
        sweep.ProblemCount = cells.Max(c => c.Problems ?? 0);
        await db.SaveChangesAsync(ct);
    }
}
