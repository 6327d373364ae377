using Microsoft.EntityFrameworkCore;

namespace Platform.Storage;

public static class PlatformDbContextOptions
{
    /// <summary>Configures the provider; used by the DI registration, the CLI and tests alike.</summary>
    public static DbContextOptionsBuilder UsePlatformDatabase(this DbContextOptionsBuilder builder, StorageProvider provider, string connectionString) =>
        provider switch
        {
            StorageProvider.Postgres => builder.UseNpgsql(connectionString, npgsql =>
                npgsql.MigrationsHistoryTable("__ef_migrations_history", PlatformDbContext.Schema)),
            StorageProvider.Sqlite => builder.UseSqlite(connectionString),
            _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "unknown storage provider"),
        };

    public static DbContextOptions<PlatformDbContext> Create(StorageProvider provider, string connectionString) =>
        ((DbContextOptionsBuilder<PlatformDbContext>)new DbContextOptionsBuilder<PlatformDbContext>()
            .UsePlatformDatabase(provider, connectionString)).Options;
}
