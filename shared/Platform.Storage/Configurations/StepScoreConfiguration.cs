using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Storage.Entities;

namespace Platform.Storage.Configurations;

public sealed class StepScoreConfiguration : IEntityTypeConfiguration<StepScore>
{
    public void Configure(EntityTypeBuilder<StepScore> b)
    {
        b.ToTable("step_scores");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Model).HasMaxLength(128);
        b.HasIndex(x => new { x.CandidateId, x.StepIndex }).IsUnique();
    }
}
