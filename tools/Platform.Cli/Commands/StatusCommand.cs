using System.CommandLine;

namespace Platform.Cli.Commands;

/// <summary><c>ttc status ID</c>: a batch's progress and, once it has ended, the same table as `ttc eval`.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var id = new Argument<Guid>("ID") { Description = "Batch id printed by ttc submit" };
        var connection = new Option<string?>("--connection") { Description = "PostgreSQL connection string; default: ConnectionStrings__Platform" };
        var wait = new Option<bool>("--wait") { Description = "Keep polling until the batch ends" };
        var json = new Option<FileInfo?>("--json");
        var command = new Command("status", "Progress and results of a submitted batch");
        command.Arguments.Add(id);
        command.Options.Add(connection);
        command.Options.Add(wait);
        command.Options.Add(json);
        command.SetAction(async (parse, ct) =>
        {
            if (BatchWatch.From(parse.GetValue(connection)) is not { } watch)
            {
                return 2;
            }

            var batchId = parse.GetValue(id);
            if (parse.GetValue(wait))
            {
                await watch.Wait(batchId, quietWhileUnknown: false, ct);
            }

            return await watch.Report(batchId, parse.GetValue(json), ct);
        });
        return command;
    }
}
