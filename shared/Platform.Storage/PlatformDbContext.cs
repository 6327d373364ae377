using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Platform.Storage.Entities;

namespace Platform.Storage;

/// <summary>
/// The one database model of the platform, shared by Router and Aggregator (PostgreSQL, schema
/// <c>ttc</c>) and by the embedded default (SQLite, created from the same model).
/// </summary>
public class PlatformDbContext(DbContextOptions<PlatformDbContext> options) : DbContext(options)
{
    public const string Schema = "ttc";

    public DbSet<Batch> Batches => Set<Batch>();
    public DbSet<Problem> Problems => Set<Problem>();
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<RunRound> RunRounds => Set<RunRound>();
    public DbSet<Candidate> Candidates => Set<Candidate>();
    public DbSet<StepScore> StepScores => Set<StepScore>();
    public DbSet<ComputeUsageRecord> ComputeUsage => Set<ComputeUsageRecord>();
    public DbSet<Policy> Policies => Set<Policy>();
    public DbSet<Sweep> Sweeps => Set<Sweep>();
    public DbSet<SweepCell> SweepCells => Set<SweepCell>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<OpenAiFile> OpenAiFiles => Set<OpenAiFile>();
    public DbSet<OpenAiFileLine> OpenAiFileLines => Set<OpenAiFileLine>();
    public DbSet<OpenAiBatch> OpenAiBatches => Set<OpenAiBatch>();
    public DbSet<OpenAiBatchError> OpenAiBatchErrors => Set<OpenAiBatchError>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        if (Database.IsSqlite())
        {
            // SQLite has no native timestamp-with-offset type: store UTC ticks so values order and compare correctly.
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        }
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        if (!Database.IsSqlite())
        {
            modelBuilder.HasDefaultSchema(Schema); // SQLite has no schemas.
        }

        modelBuilder.ApplyConfigurationsFromAssembly(typeof(PlatformDbContext).Assembly);
        SnakeCaseNames.Apply(modelBuilder);
    }
}
