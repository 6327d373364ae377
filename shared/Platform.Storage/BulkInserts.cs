using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Platform.Storage;

/// <summary>
/// Many new rows at once, inside the context's current connection and transaction, without the change
/// tracker: on PostgreSQL a binary COPY (one round trip for thousands of rows instead of batched INSERTs
/// with a parameter per value); elsewhere (SQLite) one prepared INSERT run once per row. Columns, names,
/// value conversions and parameter types come from the EF model, so both follow the schema. The rows are
/// not tracked afterwards.
/// </summary>
public static class BulkInserts
{
    private sealed record Column(string Name, string Type, IClrPropertyGetter Get, RelationalTypeMapping Mapping, bool Nullable)
    {
        public object? Value(object row)
        {
            var value = Get.GetClrValue(row);
            return value is not null && Mapping.Converter is { } convert ? convert.ConvertToProvider(value) : value;
        }
    }

    public static async Task InsertManyAsync<T>(this PlatformDbContext db, IReadOnlyCollection<T> rows, CancellationToken ct)
        where T : class
    {
        if (rows.Count == 0)
        {
            return;
        }

        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not an entity of the model");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var columns = entity.GetProperties()
            .Where(p => p.GetColumnName(table) is not null && p.PropertyInfo is not null)
            .Select(p => new Column(p.GetColumnName(table)!, p.GetColumnType(table), p.GetGetter(), p.GetRelationalTypeMapping(), p.IsNullable))
            .ToList();
        var target = entity.GetSchema() is { } schema ? $"\"{schema}\".\"{table.Name}\"" : $"\"{table.Name}\"";
        var names = string.Join(", ", columns.Select(c => $"\"{c.Name}\""));

        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var connection = db.Database.GetDbConnection();
            if (db.Database.IsNpgsql())
            {
                await Copy((NpgsqlConnection)connection, $"COPY {target} ({names}) FROM STDIN (FORMAT BINARY)", columns, rows, ct);
            }
            else
            {
                await Prepared(connection, db.Database.CurrentTransaction?.GetDbTransaction(), $"INSERT INTO {target} ({names}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})", columns, rows, ct);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task Copy<T>(NpgsqlConnection connection, string sql, List<Column> columns, IReadOnlyCollection<T> rows, CancellationToken ct)
        where T : class
    {
        await using var writer = await connection.BeginBinaryImportAsync(sql, ct);
        foreach (var row in rows)
        {
            await writer.StartRowAsync(ct);
            foreach (var column in columns)
            {
                if (column.Value(row) is { } value)
                {
                    await writer.WriteAsync(value, column.Type, ct);
                }
                else
                {
                    await writer.WriteNullAsync(ct);
                }
            }
        }

        await writer.CompleteAsync(ct);
    }

    private static async Task Prepared<T>(DbConnection connection, DbTransaction? transaction, string sql, List<Column> columns, IReadOnlyCollection<T> rows, CancellationToken ct)
        where T : class
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        var parameters = columns.Select((c, i) => c.Mapping.CreateParameter(command, $"@p{i}", null, c.Nullable)).ToArray();
        command.Parameters.AddRange(parameters);
        await command.PrepareAsync(ct);
        foreach (var row in rows)
        {
            for (var i = 0; i < columns.Count; i++)
            {
                parameters[i].Value = columns[i].Value(row) ?? DBNull.Value;
            }

            await command.ExecuteNonQueryAsync(ct);
        }
    }
}
