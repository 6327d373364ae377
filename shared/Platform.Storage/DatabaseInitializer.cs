using Microsoft.EntityFrameworkCore;

namespace Platform.Storage;

public static class DatabaseInitializer
{
    /// <summary>
    /// Brings the database to the current model: checked-in migrations on PostgreSQL, the schema
    /// created from the model on SQLite (the embedded default keeps no migration history).
    /// </summary>
    public static async Task InitializeAsync(PlatformDbContext db, CancellationToken cancellationToken = default)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
        else
        {
            await db.Database.EnsureCreatedAsync(cancellationToken);
            // Write-ahead logging lets readers (progress polling) run beside the writers of the embedded host.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }
}
