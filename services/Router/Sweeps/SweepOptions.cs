using Platform.Operations.Policies;
using Platform.Operations.Sweeps;

namespace Platform.Router.Sweeps;

/// <summary>
/// Bound from <c>Router:Sweeps</c>: the scheduled calibration sweep and the policy fit after it. The
/// Routers share one clustered Quartz scheduler on PostgreSQL (tables <c>ttc.qrtz_*</c>), so each fire
/// of the trigger runs on exactly one Router however many run.
/// </summary>
public sealed class SweepOptions
{
    public const string Section = "Router:Sweeps";

    /// <summary>Run the scheduler (PostgreSQL storage only; the embedded default has no scheduler).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>When the sweep runs: a Quartz cron expression (seconds first), by default every night at 02:00.</summary>
    public string Cron { get; set; } = "0 0 2 * * ?";

    /// <summary>The time zone of <see cref="Cron"/> (an IANA or Windows id).</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Calibration problems (JSONL), disjoint from every evaluation set; a relative path is looked for from the program's folder and the working directory upwards.</summary>
    public string Data { get; set; } = "data/arith/calibration.jsonl";

    /// <summary>Use the first K problems of <see cref="Data"/>.</summary>
    public int Limit { get; set; } = 200;

    /// <summary>Budget levels N of the grid, comma-separated.</summary>
    public string Budgets { get; set; } = "4,16,64";

    /// <summary>Only these strategies of the grid (comma-separated); empty: the whole grid.</summary>
    public string? Strategies { get; set; }

    public int Seed { get; set; } = 7;

    /// <summary>The cell whose samples give each problem's oracle difficulty (pass@1 over its samples).</summary>
    public string Oracle { get; set; } = "majority-64";

    /// <summary>The cell whose verifier-scored samples are the probes that predict difficulty.</summary>
    public string Probes { get; set; } = "weighted-bon-4";

    /// <summary>
    /// How a configuration fits a budget N in the fit: "flops" (default: its FLOPs, generator and verifier, against what N samples of
    /// weighted best-of-N cost — the verifier is most of the cost), "tokens" (generated tokens likewise) or "samples" (its N).
    /// </summary>
    public string BudgetBy { get; set; } = "flops";

    /// <summary>Keep one configuration for every bin at a budget where that cross-validates better than per-bin choices.</summary>
    public bool CompareUniform { get; set; } = true;

    /// <summary>Make the fitted policy the active version (else it is stored for <c>ttc policy activate</c>).</summary>
    public bool Activate { get; set; } = true;

    /// <summary>How often a running cell's batch is looked at (seconds).</summary>
    public int PollSeconds { get; set; } = 10;

    /// <summary>A cell whose batch has not ended after this long fails (minutes).</summary>
    public int CellTimeoutMinutes { get; set; } = 240;

    /// <summary>How late a fire may start before it counts as misfired (seconds); a misfired sweep fires once as soon as a Router can, then follows the schedule.</summary>
    public int MisfireThresholdSeconds { get; set; } = 60;

    /// <summary>How often each Router checks in with the cluster (seconds); a Router silent for longer has its running sweep recovered by another.</summary>
    public int CheckinIntervalSeconds { get; set; } = 10;

    /// <summary>The budget levels; a FormatException names <c>Router:Sweeps:Budgets</c>.</summary>
    public List<int> BudgetLevels() => SweepGrid.ParseBudgets(Budgets, "Router:Sweeps:Budgets");

    /// <summary>The grid these settings describe.</summary>
    public List<SweepGrid.Cell> Grid() => SweepGrid.Cells(BudgetLevels(), SweepGrid.ParseStrategies(Strategies));
}
