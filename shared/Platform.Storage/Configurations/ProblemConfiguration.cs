using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Storage.Entities;

namespace Platform.Storage.Configurations;

public sealed class ProblemConfiguration : IEntityTypeConfiguration<Problem>
{
    public void Configure(EntityTypeBuilder<Problem> b)
    {
        b.ToTable("problems");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Text).IsRequired();
        b.Property(x => x.ReferenceAnswer).HasMaxLength(1000);
        b.Property(x => x.Level).HasMaxLength(64);
        b.Property(x => x.Subject).HasMaxLength(128);
        b.Property(x => x.ExternalId).HasMaxLength(256);
        b.HasIndex(x => new { x.BatchId, x.Index }).IsUnique();
    }
}
