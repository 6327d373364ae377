using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Storage.Entities;

namespace Platform.Storage.Configurations;

public sealed class SweepCellConfiguration : IEntityTypeConfiguration<SweepCell>
{
    public void Configure(EntityTypeBuilder<SweepCell> b)
    {
        b.ToTable("sweep_cells");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Name).HasMaxLength(128).IsRequired();
        b.Property(x => x.Strategy).HasMaxLength(64).IsRequired();
        b.Property(x => x.Status).HasMaxLength(32).IsRequired();
        b.Property(x => x.Error).HasMaxLength(2000);
        b.HasIndex(x => new { x.SweepId, x.Name }).IsUnique();
        b.HasOne<Sweep>().WithMany().HasForeignKey(x => x.SweepId).OnDelete(DeleteBehavior.Cascade);
    }
}
