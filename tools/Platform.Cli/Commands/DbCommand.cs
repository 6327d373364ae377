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

        // ttc db user create NAME --role router|aggregator|analyst --password-env VAR
        var user = new Argument<string>("NAME") { Description = "Login name" };
        var role = new Option<string>("--role") { Description = "router, aggregator or analyst", Required = true };
        var passwordEnv = new Option<string>("--password-env") { Description = "Environment variable holding the password (never on the command line)", Required = true };
        var create = new Command("create", "Create (or update) a login user in the role of a service or of analysts");
        create.Arguments.Add(user);
        create.Options.Add(role);
        create.Options.Add(passwordEnv);
        create.Options.Add(connection);
        create.SetAction(async (parse, ct) =>
        {
            var cs = parse.GetValue(connection) ?? Environment.GetEnvironmentVariable("ConnectionStrings__Platform");
            var password = Environment.GetEnvironmentVariable(parse.GetValue(passwordEnv)!);
            if (string.IsNullOrWhiteSpace(cs) || string.IsNullOrEmpty(password))
            {
                Console.Error.WriteLine($"error: need an owner connection (--connection or ConnectionStrings__Platform) and a password in ${parse.GetValue(passwordEnv)}");
                return 2;
            }

            try
            {
                await DatabaseRoles.CreateUser(cs, parse.GetValue(user)!, password, parse.GetValue(role)!, ct);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            Console.WriteLine($"user {parse.GetValue(user)} can log in as {DatabaseRoles.ByService[parse.GetValue(role)!]}");
            return 0;
        });

        var users = new Command("user", "Login users with least privilege");
        users.Subcommands.Add(create);
        var db = new Command("db", "Database schema and users");
        db.Subcommands.Add(migrate);
        db.Subcommands.Add(users);
        return db;
    }
}
