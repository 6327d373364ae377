using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using Platform.Storage;

namespace Platform.Cli.Commands;

/// <summary><c>ttc db migrate</c>: bring a database to the current schema.</summary>
public static class DbCommand
{
    public static Command Create()
    {
        var provider = new Option<StorageProvider>("--provider")
        {
            Description = "Postgres (migrations) or Sqlite (schema created from the model)",
            DefaultValueFactory = _ => StorageProvider.Postgres,
        };
        var connection = new Option<string?>("--connection")
        {
            Description = "Connection string; default: environment variable ConnectionStrings__Platform",
        };

        var migrate = new Command("migrate", "Apply the checked-in migrations (PostgreSQL) or create the schema (SQLite)");
        migrate.Options.Add(provider);
        migrate.Options.Add(connection);
        migrate.SetAction(async (parse, ct) =>
        {
            var cs = parse.GetValue(connection) ?? Environment.GetEnvironmentVariable("ConnectionStrings__Platform");
            if (string.IsNullOrWhiteSpace(cs))
            {
                Console.Error.WriteLine("error: no connection string: pass --connection or set ConnectionStrings__Platform");
                return 2;
            }

            var kind = parse.GetValue(provider);
            await using var db = new PlatformDbContext(PlatformDbContextOptions.Create(kind, cs));
            var pending = kind == StorageProvider.Postgres ? (await db.Database.GetPendingMigrationsAsync(ct)).ToList() : [];
            await DatabaseInitializer.InitializeAsync(db, ct);
            Console.WriteLine(kind == StorageProvider.Postgres
                ? $"applied {pending.Count} migration(s){(pending.Count > 0 ? ": " + string.Join(", ", pending) : "")}; schema '{PlatformDbContext.Schema}' is current"
                : "SQLite schema is current");
            return 0;
        });

        var db = new Command("db", "Database schema");
        db.Subcommands.Add(migrate);
        return db;
    }
}
