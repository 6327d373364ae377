using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Storage.Entities;

namespace Platform.Storage.Configurations;

public sealed class RunRoundConfiguration : IEntityTypeConfiguration<RunRound>
{
    public void Configure(EntityTypeBuilder<RunRound> b)
    {
        b.ToTable("run_rounds");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Kind).HasMaxLength(32).IsRequired();
        b.Property(x => x.Status).HasMaxLength(16).IsRequired();
        b.HasIndex(x => new { x.RunId, x.Index, x.Kind }).IsUnique();
        b.HasIndex(x => x.RequestId).IsUnique();
        b.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
