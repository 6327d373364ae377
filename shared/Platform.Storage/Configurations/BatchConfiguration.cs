using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Storage.Entities;

namespace Platform.Storage.Configurations;

public sealed class BatchConfiguration : IEntityTypeConfiguration<Batch>
{
    public void Configure(EntityTypeBuilder<Batch> b)
    {
        b.ToTable("batches");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Source).HasMaxLength(400);
        b.Property(x => x.Status).HasMaxLength(32).IsRequired();
        b.Property(x => x.RequestedStrategy).HasMaxLength(64);
        b.Property(x => x.RejectionReason).HasMaxLength(2000);
        b.Property(x => x.Submitter).HasMaxLength(200).IsRequired();
        b.Property(x => x.Priority).HasMaxLength(32).IsRequired();
        b.Property(x => x.TraceParent).HasMaxLength(128);
        b.HasIndex(x => x.SubmittedAt);
        b.HasIndex(x => x.Status); // the admission scheduler reads the active batches several times a second
        b.HasMany(x => x.Problems).WithOne(x => x.Batch).HasForeignKey(x => x.BatchId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(x => x.Runs).WithOne(x => x.Batch).HasForeignKey(x => x.BatchId).OnDelete(DeleteBehavior.Cascade);
    }
}
