using System.Linq.Expressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Platform.Storage;

/// <summary>Writes guarded by a unique business key: a second write with the same key adds no row.</summary>
public static class IdempotentWrites
{
    /// <summary>True when the save failed because a unique constraint already holds the key.</summary>
    public static bool IsUniqueViolation(this DbUpdateException exception) => exception.InnerException switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.SqliteExtendedErrorCode is 2067 or 1555,
        _ => false,
    };

    /// <summary>
    /// Inserts <paramref name="entity"/> unless a row with the same business key exists; returns the
    /// stored row and whether this call inserted it. Safe against a concurrent writer: the unique index
    /// decides, and the loser reads the winner's row.
    /// </summary>
    public static async Task<(T Row, bool Inserted)> InsertOnceAsync<T>(
        this PlatformDbContext db, T entity, Expression<Func<T, bool>> sameKey, CancellationToken cancellationToken = default)
        where T : class
    {
        var existing = await db.Set<T>().AsNoTracking().FirstOrDefaultAsync(sameKey, cancellationToken);
        if (existing is not null)
        {
            return (existing, false);
        }

        db.Set<T>().Add(entity);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return (entity, true);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            db.Entry(entity).State = EntityState.Detached;
            var winner = await db.Set<T>().AsNoTracking().FirstAsync(sameKey, cancellationToken);
            return (winner, false);
        }
    }
}
