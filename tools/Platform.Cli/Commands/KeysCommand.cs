using System.CommandLine;
using System.Globalization;
using Platform.Storage;

namespace Platform.Cli.Commands;

/// <summary><c>ttc keys create NAME | list | revoke NAME</c>: API keys of the Router's HTTP API (stored hashed in PostgreSQL).</summary>
public static class KeysCommand
{
    public static Command Create()
    {
        var connection = BatchesCommands.Connection(recursive: true);
        var command = new Command("keys", "API keys for the HTTP API: create (the key is shown once), list, revoke");
        command.Options.Add(connection);

        var name = new Argument<string>("NAME") { Description = "Who holds the key" };
        var create = new Command("create", "Create a key; it is printed once and stored only as a hash");
        create.Arguments.Add(name);
        BatchesCommands.SetDatabaseAction(create, connection, async (parse, db, ct) =>
        {
            try
            {
                var (key, _) = await ApiKeys.Create(db, parse.GetValue(name)!, DateTimeOffset.UtcNow, ct);
                Console.WriteLine(key);
                Console.Error.WriteLine("the key is shown once: keep it; use it as 'Authorization: Bearer <key>'");
                return 0;
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });

        var list = new Command("list", "Keys by name: prefix, created, revoked");
        BatchesCommands.SetDatabaseAction(list, connection, async (parse, db, ct) =>
        {
            Console.WriteLine($"{"name",-24}  {"prefix",-12}  {"created (UTC)",-19}  revoked");
            foreach (var k in await ApiKeys.List(db, ct))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{k.Name,-24}  {k.Prefix,-12}  {k.CreatedAt.UtcDateTime,-19:yyyy-MM-dd HH:mm:ss}  {(k.Revoked ? $"yes ({k.RevokedAt!.Value.UtcDateTime:yyyy-MM-dd HH:mm:ss})" : "no")}"));
            }

            return 0;
        });

        var revokeName = new Argument<string>("NAME");
        var revoke = new Command("revoke", "Revoke a key: requests with it get 403 from now on");
        revoke.Arguments.Add(revokeName);
        BatchesCommands.SetDatabaseAction(revoke, connection, async (parse, db, ct) =>
        {
            var done = await ApiKeys.Revoke(db, parse.GetValue(revokeName)!, DateTimeOffset.UtcNow, ct);
            Console.WriteLine(done ? $"key '{parse.GetValue(revokeName)}' revoked" : $"no active key named '{parse.GetValue(revokeName)}'");
            return done ? 0 : 1;
        });

        command.Subcommands.Add(create);
        command.Subcommands.Add(list);
        command.Subcommands.Add(revoke);
        return command;
    }
}
