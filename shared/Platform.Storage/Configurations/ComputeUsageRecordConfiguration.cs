using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Storage.Entities;

namespace Platform.Storage.Configurations;

public sealed class ComputeUsageRecordConfiguration : IEntityTypeConfiguration<ComputeUsageRecord>
{
    public void Configure(EntityTypeBuilder<ComputeUsageRecord> b)
    {
        b.ToTable("compute_usage");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Kind).HasMaxLength(32).IsRequired();
        b.Property(x => x.Model).HasMaxLength(128).IsRequired();
        b.Property(x => x.Worker).HasMaxLength(64);
        b.HasIndex(x => x.RequestId).IsUnique();
        b.HasIndex(x => x.BatchId);
        b.HasIndex(x => x.RunId);
    }
}
