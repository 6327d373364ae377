using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Storage.Entities;

namespace Platform.Storage.Configurations;

public sealed class RunConfiguration : IEntityTypeConfiguration<Run>
{
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
        b.Property(x => x.FailureReason).HasMaxLength(2000);
        b.HasIndex(x => new { x.ProblemId, x.PlanKey }).IsUnique();
        b.HasIndex(x => new { x.BatchId, x.Status });
        b.HasOne(x => x.Problem).WithMany().HasForeignKey(x => x.ProblemId).OnDelete(DeleteBehavior.Cascade);
    }
}
