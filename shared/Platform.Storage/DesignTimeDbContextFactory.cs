using Microsoft.EntityFrameworkCore.Design;

namespace Platform.Storage;

/// <summary>Lets <c>dotnet ef migrations add</c> build the PostgreSQL model without a running server.</summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<PlatformDbContext>
{
    public PlatformDbContext CreateDbContext(string[] args) =>
        new(PlatformDbContextOptions.Create(StorageProvider.Postgres, "Host=localhost;Database=design_time_only"));
}
