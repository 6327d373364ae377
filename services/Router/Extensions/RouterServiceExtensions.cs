using Microsoft.Extensions.Options;
using Platform.Inference;
using Platform.Hosting;
using Platform.Router.Admission;
using Platform.Router.Planning;
using Platform.Router.Sweeps;
using Quartz;
using Platform.Storage;

using Platform.Operations.Policies;
using Platform.Operations.Sweeps;

namespace Platform.Router.Extensions;

public static class RouterServiceExtensions
{
    /// <summary>The Router: stores batches, plans each problem's run, hosts the submission API and the sweep scheduler.</summary>
    public static IHostApplicationBuilder AddRouterServices(this IHostApplicationBuilder builder)
    {
        builder.AddRouterComponents();
        builder.AddPlatformMessaging("router", [typeof(RouterServiceExtensions).Assembly]);
        builder.AddPlatformTelemetry("router");
        builder.AddSweepScheduler();
        return builder;
    }

    /// <summary>
    /// The scheduled calibration sweep and policy fit (<see cref="SweepOptions"/>): Quartz with the ADO.NET
    /// job store on the platform's PostgreSQL, clustered, so every Router shares one schedule and each fire
    /// runs once. Not with SQLite storage: a schedule shared by processes needs the shared database.
    /// </summary>
    public static IHostApplicationBuilder AddSweepScheduler(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SweepOptions>().BindConfiguration(SweepOptions.Section)
            .Validate(o => CronExpression.TryParse(o.Cron, out _), "Router:Sweeps:Cron must be a Quartz cron expression, seconds first (e.g. '0 0 2 * * ?' for 02:00 every day)")
            .Validate(o => FindTimeZone(o.TimeZone) is not null, "Router:Sweeps:TimeZone must be a time zone id (e.g. UTC, Europe/Berlin)")
            .Validate(o => Grid(o) is not null, "Router:Sweeps:Budgets must be integers within 1..1024 separated by commas")
            .Validate(o => Grid(o) is not { } g || g.Any(c => c.Name == o.Oracle), "Router:Sweeps:Oracle must name a cell of the grid (e.g. majority-64 with a budget of 64)")
            .Validate(o => Grid(o) is not { } g || g.Any(c => c.Name == o.Probes), "Router:Sweeps:Probes must name a cell of the grid (e.g. weighted-bon-4 with a budget of 4)")
            .Validate(o => o.Limit >= 1, "Router:Sweeps:Limit must be >= 1")
            .Validate(o => o.BudgetBy is "flops" or "tokens" or "samples", "Router:Sweeps:BudgetBy must be 'flops', 'tokens' or 'samples'")
            .Validate(o => o.PollSeconds >= 1 && o.CellTimeoutMinutes >= 1, "Router:Sweeps:PollSeconds and CellTimeoutMinutes must be >= 1")
            .Validate(o => o.MisfireThresholdSeconds >= 1 && o.CheckinIntervalSeconds >= 1, "Router:Sweeps:MisfireThresholdSeconds and CheckinIntervalSeconds must be >= 1")
            .ValidateOnStart();
        var sweeps = builder.Configuration.GetSection(SweepOptions.Section).Get<SweepOptions>() ?? new SweepOptions();
        var storage = builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        var connection = storage.ConnectionString ?? builder.Configuration.GetConnectionString(StorageOptions.ConnectionStringName);
        if (!sweeps.Enabled || storage.Provider != StorageProvider.Postgres || connection is null || string.IsNullOrWhiteSpace(connection) || !CronExpression.TryParse(sweeps.Cron, out _))
        {
            return builder; // (a bad cron expression fails the options validation at start, naming the setting)
        }

        builder.Services.Configure<QuartzOptions>(o => o.Scheduling.ScheduleTriggerRelativeToReplacedTrigger = true); // a restart keeps the last fire, so a fire missed while every Router was down counts as misfired
        builder.Services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s => s.InstanceName = "ttc-router"); // one name for the cluster; each Router gets its own generated instance id
            q.UsePersistentStore(store =>
            {
                store.UsePostgres(connection);
                store.UseSystemTextJsonSerializer();
                store.UseClustering(c =>
                {
                    c.CheckinInterval = TimeSpan.FromSeconds(sweeps.CheckinIntervalSeconds);
                    c.CheckinMisfireThreshold = TimeSpan.FromSeconds(2 * sweeps.CheckinIntervalSeconds);
                });
                store.ConfigureStore(s =>
                {
                    s.TablePrefix = QuartzTables.Prefix;
                    s.MisfireThreshold = TimeSpan.FromSeconds(sweeps.MisfireThresholdSeconds);
                    s.RecoverFiringsCancelledByShutdown = true; // a sweep cut short by a Router's shutdown is resumed by another (or by this one when it is back)
                });
            });
            q.AddJob<SweepJob>(j => j.WithIdentity(SweepJob.Key).StoreDurably().RequestRecovery());
            q.AddJob<PolicyFitJob>(j => j.WithIdentity(PolicyFitJob.Key).StoreDurably().RequestRecovery());
            q.AddTrigger(t => t.ForJob(SweepJob.Key).WithIdentity(SweepJob.Trigger)
                .WithCronSchedule(sweeps.Cron, c => c.InTimeZone(FindTimeZone(sweeps.TimeZone) ?? TimeZoneInfo.Utc).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed)));
        });
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = false); // a sweep interrupted by a shutdown is recovered by a Router still up
        return builder;
    }

    private static List<SweepGrid.Cell>? Grid(SweepOptions o)
    {
        try
        {
            return o.Grid();
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static TimeZoneInfo? FindTimeZone(string id) => TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;

    /// <summary>Everything but the bus, so the embedded host can combine services on one bus.</summary>
    public static IHostApplicationBuilder AddRouterComponents(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformStorage();
        builder.Services.AddOptions<RouterOptions>().BindConfiguration(RouterOptions.Section)
            .Validate(o => o.MaxProblemTextBytes is >= 16 and <= 1 << 20, "Router:MaxProblemTextBytes must be within 16..1048576")
            .Validate(o => o.MaxProblemsPerBatch >= 1, "Router:MaxProblemsPerBatch must be >= 1")
            .Validate(o => o.MaxNewTokens is >= 1 and <= 32768, "Router:MaxNewTokens must be within 1..32768")
            .Validate(o => !string.IsNullOrWhiteSpace(o.DefaultGenerator) && !string.IsNullOrWhiteSpace(o.DefaultVerifier), "Router:DefaultGenerator and Router:DefaultVerifier are required")
            .Validate(o => o.MissingPartsSeconds >= 1 && o.MissingPartsCheckSeconds >= 1, "Router:MissingPartsSeconds and Router:MissingPartsCheckSeconds must be >= 1")
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ActivePolicy>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ActivePolicy>()); // refreshed in the background, never on the request path
        builder.AddPlatformInference(); // the model catalog: batches may name only its models
        builder.Services.AddOptions<AdmissionOptions>().BindConfiguration(AdmissionOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AdmissionOptions>, AdmissionOptionsValidator>();
        builder.Services.AddSingleton<AdmissionScheduler>();
        builder.Services.AddScoped<OpenAi.CompletionService>();
        builder.Services.AddSingleton<OpenAi.BatchValidator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OpenAi.BatchValidator>()); // reads created OpenAI batches' files (status validating)
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AdmissionScheduler>()); // lets planned runs out to the workers in fair turns
        builder.Services.AddHostedService<MissingPartsWatchdog>(); // a batch whose parts stop arriving still ends
        builder.Services.AddSingleton(sp => new BatchPlanner(sp.GetRequiredService<IOptions<RouterOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ActivePolicy>().Current, sp.GetRequiredService<Platform.Inference.Models.ModelCatalog>(), sp.GetRequiredService<IOptions<AdmissionOptions>>().Value));
        return builder;
    }
}
