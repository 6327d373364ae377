using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Reasoning.Policy;
using Platform.Storage;

namespace Platform.Operations.Policies;

/// <summary>
/// Compute-optimal policies as versioned rows of <c>ttc.policies</c>: one row per difficulty bin and
/// budget, each carrying its step and the policy's own settings (probes, bounds, models) in
/// <c>parameters_json</c>, so a version can be rebuilt from its rows alone. At most one version is active;
/// the Router follows the active version, and the policy file only while none is.
/// </summary>
public static class PolicyStore
{
    /// <summary>A row's parameters: its step, and (repeated on every row of the version) what the policy as a whole carries.</summary>
    private sealed record Cell(PolicyStep Step, int Probes, double ProbeTemperature, double[] Bounds, string Generator, string Verifier,
        double[]? BinShares = null, double ProbeTokens = 0, double ProbeFlops = 0);

    /// <summary>Stores a fitted policy as the next version (inactive); returns the version.</summary>
    public static async Task<int> Import(PlatformDbContext db, ComputeOptimalPolicy policy, DateTimeOffset now, CancellationToken ct)
    {
        policy.Validate();
        await using var tx = await OwnTransaction(db, ct);
        var version = (await db.Policies.MaxAsync(p => (int?)p.Version, ct) ?? 0) + 1;
        foreach (var column in policy.Budgets)
        {
            for (var bin = 1; bin <= column.Bins.Count; bin++)
            {
                var step = column.Bins[bin - 1];
                db.Policies.Add(new Storage.Entities.Policy
                {
                    Id = Guid.NewGuid(), Version = version, DifficultyBin = bin, Budget = column.Budget, Strategy = step.Strategy, FittedAt = now,
                    ParametersJson = JsonSerializer.Serialize(new Cell(step, policy.Probes, policy.ProbeTemperature, policy.Bounds, policy.Generator, policy.Verifier,
                        policy.BinShares, policy.ProbeTokens, policy.ProbeFlops), ComputeOptimalPolicy.Json),
                    Accuracy = step.Accuracy, MeanGeneratedTokens = step.Tokens,
                });
            }
        }

        await db.SaveChangesAsync(ct);
        await (tx?.CommitAsync(ct) ?? Task.CompletedTask);
        return version;
    }

    /// <summary>Makes <paramref name="version"/> the one active version; false when there is no such version.</summary>
    public static async Task<bool> Activate(PlatformDbContext db, int version, CancellationToken ct)
    {
        await using var tx = await OwnTransaction(db, ct);
        if (!await db.Policies.AnyAsync(p => p.Version == version, ct))
        {
            return false;
        }

        await db.Policies.Where(p => p.Active && p.Version != version).ExecuteUpdateAsync(s => s.SetProperty(p => p.Active, false), ct);
        await db.Policies.Where(p => p.Version == version).ExecuteUpdateAsync(s => s.SetProperty(p => p.Active, true), ct);
        await (tx?.CommitAsync(ct) ?? Task.CompletedTask);
        return true;
    }

    /// <summary>A transaction of its own, unless the caller's is open (then the work joins it and the caller commits).</summary>
    private static async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction?> OwnTransaction(PlatformDbContext db, CancellationToken ct) =>
        db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;

    /// <summary>The active version, rebuilt from its rows; null when none is active.</summary>
    public static async Task<ComputeOptimalPolicy?> Active(PlatformDbContext db, CancellationToken ct)
    {
        var rows = await db.Policies.AsNoTracking().Where(p => p.Active).ToListAsync(ct);
        return rows.Count == 0 ? null : Rebuild(rows);
    }

    /// <summary>A stored version (or every version when null), rebuilt from its rows, with whether it is active.</summary>
    public static async Task<List<(ComputeOptimalPolicy Policy, bool Active, DateTimeOffset FittedAt)>> List(PlatformDbContext db, int? version, CancellationToken ct)
    {
        var rows = await db.Policies.AsNoTracking().Where(p => version == null || p.Version == version).ToListAsync(ct);
        return [.. rows.GroupBy(r => r.Version).OrderBy(g => g.Key).Select(g => (Rebuild([.. g]), g.First().Active, g.First().FittedAt))];
    }

    private static ComputeOptimalPolicy Rebuild(List<Storage.Entities.Policy> rows)
    {
        var versions = rows.Select(r => r.Version).Distinct().ToList();
        if (versions.Count != 1)
        {
            throw new InvalidDataException($"policy rows of several versions are active at once ({string.Join(", ", versions)}): activate one (ttc policy activate VERSION)");
        }

        var cells = rows.Select(r => (Row: r, Cell: JsonSerializer.Deserialize<Cell>(r.ParametersJson, ComputeOptimalPolicy.Json)!)).ToList();
        var head = cells[0].Cell;
        var policy = new ComputeOptimalPolicy
        {
            Version = versions[0], Generator = head.Generator, Verifier = head.Verifier, Probes = head.Probes, ProbeTemperature = head.ProbeTemperature, Bounds = head.Bounds,
            BinShares = head.BinShares ?? [], ProbeTokens = head.ProbeTokens, ProbeFlops = head.ProbeFlops,
            Budgets = [.. cells.GroupBy(c => c.Row.Budget).OrderBy(g => g.Key).Select(g => new PolicyColumn
            {
                Budget = g.Key, Bins = [.. g.OrderBy(c => c.Row.DifficultyBin).Select(c => c.Cell.Step)],
            })],
        };
        policy.Validate();
        return policy;
    }
}
