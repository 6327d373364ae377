using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Storage.Entities;

namespace Platform.Storage.Configurations;

public sealed class PolicyConfiguration : IEntityTypeConfiguration<Policy>
{
    public void Configure(EntityTypeBuilder<Policy> b)
    {
        b.ToTable("policies");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Strategy).HasMaxLength(64).IsRequired();
        b.HasIndex(x => new { x.Version, x.DifficultyBin, x.Budget }).IsUnique();
        b.HasOne<Sweep>().WithMany().HasForeignKey(x => x.SweepId).OnDelete(DeleteBehavior.SetNull);
    }
}
