using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace Platform.Storage;

/// <summary>
/// Many new rows at once. On PostgreSQL a binary COPY in the context's current connection and
/// transaction (one round trip for thousands of rows instead of batched INSERTs with a parameter per
/// value); elsewhere (SQLite) the change tracker. Columns, names and value conversions come from the
/// EF model, so the COPY follows the schema.
/// </summary>
public static class BulkInserts
{
    public static async Task InsertManyAsync<T>(this PlatformDbContext db, IReadOnlyCollection<T> rows, CancellationToken ct)
        where T : class
    {
        if (rows.Count == 0)
        {
            return;
        }

        if (!db.Database.IsNpgsql())
        {
            db.Set<T>().AddRange(rows);
            await db.SaveChangesAsync(ct);
            return;
        }

        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not an entity of the model");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var columns = entity.GetProperties()
            .Where(p => p.GetColumnName(table) is not null && p.PropertyInfo is not null)
            .Select(p => (Name: p.GetColumnName(table)!, Type: p.GetColumnType(table), Get: p.GetGetter(), Convert: p.GetTypeMapping().Converter))
            .ToList();
        var target = entity.GetSchema() is { } schema ? $"\"{schema}\".\"{table.Name}\"" : $"\"{table.Name}\"";
        var sql = $"COPY {target} ({string.Join(", ", columns.Select(c => $"\"{c.Name}\""))}) FROM STDIN (FORMAT BINARY)";

        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using var writer = await connection.BeginBinaryImportAsync(sql, ct);
            foreach (var row in rows)
            {
                await writer.StartRowAsync(ct);
                foreach (var column in columns)
                {
                    var value = column.Get.GetClrValue(row);
                    if (value is not null && column.Convert is { } convert)
                    {
                        value = convert.ConvertToProvider(value);
                    }

                    if (value is null)
                    {
                        await writer.WriteNullAsync(ct);
                    }
                    else
                    {
                        await writer.WriteAsync(value, column.Type, ct);
                    }
                }
            }

            await writer.CompleteAsync(ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
