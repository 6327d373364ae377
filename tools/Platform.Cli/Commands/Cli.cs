using System.CommandLine;

namespace Platform.Cli.Commands;

/// <summary>The `ttc` command tree (Program.cs runs it; tests invoke it in-process).</summary>
public static class Cli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("ttc: test-time compute platform command line");
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(SubmitCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(BatchesCommands.Results());
        root.Subcommands.Add(BatchesCommands.Cancel());
        root.Subcommands.Add(BatchesCommands.List());
        root.Subcommands.Add(GradeCommand.Create());
        root.Subcommands.Add(ScoreCommand.Create());
        root.Subcommands.Add(DatasetsCommand.Create());
        root.Subcommands.Add(DbCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(RedriveCommand.Create());
        root.Subcommands.Add(ChaosCommand.Create());
        root.Subcommands.Add(PolicyCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        return root;
    }
}
