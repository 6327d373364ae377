using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Storage.Entities;

namespace Platform.Storage.Configurations;

public sealed class OpenAiFileConfiguration : IEntityTypeConfiguration<OpenAiFile>
{
    public void Configure(EntityTypeBuilder<OpenAiFile> b)
    {
        b.ToTable("openai_files");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasMaxLength(64);
        b.Property(x => x.Purpose).HasMaxLength(32).IsRequired();
        b.Property(x => x.FileName).HasMaxLength(256).IsRequired();
        b.Property(x => x.Submitter).HasMaxLength(200).IsRequired();
        b.HasIndex(x => new { x.Submitter, x.CreatedAt });
    }
}

public sealed class OpenAiFileLineConfiguration : IEntityTypeConfiguration<OpenAiFileLine>
{
    public void Configure(EntityTypeBuilder<OpenAiFileLine> b)
    {
        b.ToTable("openai_file_lines");
        b.HasKey(x => new { x.FileId, x.Line });
        b.Property(x => x.FileId).HasMaxLength(64);
        b.HasOne<OpenAiFile>().WithMany().HasForeignKey(x => x.FileId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class OpenAiBatchConfiguration : IEntityTypeConfiguration<OpenAiBatch>
{
    public void Configure(EntityTypeBuilder<OpenAiBatch> b)
    {
        b.ToTable("openai_batches");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.InputFileId).HasMaxLength(64).IsRequired();
        b.Property(x => x.Endpoint).HasMaxLength(64).IsRequired();
        b.Property(x => x.CompletionWindow).HasMaxLength(16).IsRequired();
        b.Property(x => x.Model).HasMaxLength(300).IsRequired();
        b.Property(x => x.Submitter).HasMaxLength(200).IsRequired();
        b.HasIndex(x => new { x.Submitter, x.CreatedAt });
        b.HasIndex(x => x.CreatedAt).HasFilter("validated_at IS NULL").HasDatabaseName("ix_openai_batches_validating");
    }
}

public sealed class OpenAiBatchErrorConfiguration : IEntityTypeConfiguration<OpenAiBatchError>
{
    public void Configure(EntityTypeBuilder<OpenAiBatchError> b)
    {
        b.ToTable("openai_batch_errors");
        b.HasKey(x => new { x.BatchId, x.Line });
        b.Property(x => x.CustomId).HasMaxLength(256);
        b.Property(x => x.Code).HasMaxLength(64).IsRequired();
        b.Property(x => x.Param).HasMaxLength(256);
        b.HasOne<OpenAiBatch>().WithMany().HasForeignKey(x => x.BatchId).OnDelete(DeleteBehavior.Cascade);
    }
}
