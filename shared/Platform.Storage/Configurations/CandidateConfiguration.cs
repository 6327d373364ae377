using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Storage.Entities;

namespace Platform.Storage.Configurations;

public sealed class CandidateConfiguration : IEntityTypeConfiguration<Candidate>
{
    public void Configure(EntityTypeBuilder<Candidate> b)
    {
        b.ToTable("candidates");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Key).HasMaxLength(256).IsRequired();
        b.Property(x => x.ParentKey).HasMaxLength(256);
        b.Property(x => x.Text).IsRequired();
        b.Property(x => x.FinishReason).HasMaxLength(16);
        b.Property(x => x.ExtractedAnswer).HasMaxLength(1000);
        b.HasIndex(x => new { x.RunId, x.Key }).IsUnique();
        b.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(x => x.StepScores).WithOne().HasForeignKey(x => x.CandidateId).OnDelete(DeleteBehavior.Cascade);
    }
}
