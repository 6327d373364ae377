using Microsoft.EntityFrameworkCore.Infrastructure;
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
            if (!await db.Database.EnsureCreatedAsync(cancellationToken))
            {
                await AddMissingColumns(db, cancellationToken);
            }

            // Write-ahead logging lets readers (progress polling) run beside the writers of the embedded host.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }

    /// <summary>
    /// A SQLite file written by an earlier version (an eval database, a sweep's sweep.db) gains the
    /// nullable columns the model has added since, so it can be read and resumed; it is never altered
    /// otherwise. A missing table or a missing column that cannot be null is left for the error it gives.
    /// </summary>
    private static async Task AddMissingColumns(PlatformDbContext db, CancellationToken ct)
    {
        var sql = db.GetService<Microsoft.EntityFrameworkCore.Storage.ISqlGenerationHelper>();
        foreach (var entity in db.Model.GetEntityTypes().Where(e => e.GetTableName() is not null && e.GetViewName() is null))
        {
            var table = entity.GetTableName()!;
            var existing = await db.Database.SqlQueryRaw<string>($"SELECT name AS \"Value\" FROM pragma_table_info({{0}})", table).ToListAsync(ct);
            if (existing.Count == 0)
            {
                continue;
            }

            var store = Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(table, entity.GetSchema());
            foreach (var property in entity.GetProperties().Where(p => p.IsNullable && p.GetColumnName(store) is { } name && !existing.Contains(name, StringComparer.OrdinalIgnoreCase)))
            {
                // Names and types from the model, delimited: nothing here comes from outside.
                var statement = $"ALTER TABLE {sql.DelimitIdentifier(table)} ADD COLUMN {sql.DelimitIdentifier(property.GetColumnName(store)!)} {property.GetColumnType()} NULL";
                await db.Database.ExecuteSqlRawAsync(statement, ct);
            }
        }
    }
}
