using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Storage.Entities;

namespace Platform.Storage.Configurations;

public sealed class RunConfiguration : IEntityTypeConfiguration<Run>
{
    /// <summary>Runs planned and not yet admitted (SQL shared by PostgreSQL and SQLite).</summary>
    public const string WaitingFilter = "admitted_at IS NULL AND status = 'planned'";

    /// <summary>Runs admitted that have not ended.</summary>
    public const string InFlightFilter = "admitted_at IS NOT NULL AND status IN ('planned', 'running')";

    public void Configure(EntityTypeBuilder<Run> b)
    {
        b.ToTable("runs");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.PlanKey).HasMaxLength(128).IsRequired();
        b.Property(x => x.Strategy).HasMaxLength(64).IsRequired();
        b.Property(x => x.DifficultySource).HasMaxLength(32);
        b.Property(x => x.Status).HasMaxLength(32).IsRequired();
        b.Property(x => x.Answer).HasMaxLength(1000);
        b.Property(x => x.GeneratorWorker).HasMaxLength(64);
        b.Property(x => x.VerifierWorker).HasMaxLength(64);
        b.Property(x => x.FailureReason).HasMaxLength(2000);
        b.HasIndex(x => new { x.ProblemId, x.PlanKey }).IsUnique();
        b.HasIndex(x => new { x.BatchId, x.Status });

        // The admission scheduler's two reads, each over a few rows whatever the batch sizes: a batch's runs
        // waiting their turn, oldest first, and the runs let out that have not ended (the runs in flight).
        b.HasIndex(x => new { x.BatchId, x.CreatedAt }, "ix_runs_waiting").HasFilter(WaitingFilter);
        b.HasIndex(x => x.BatchId, "ix_runs_in_flight").HasFilter(InFlightFilter);
        b.HasOne(x => x.Problem).WithMany().HasForeignKey(x => x.ProblemId).OnDelete(DeleteBehavior.Cascade);
    }
}
