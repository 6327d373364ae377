using System.CommandLine;
using Platform.Cli.Commands;

var root = new RootCommand("ttc: test-time compute platform command line");
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(SubmitCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(GradeCommand.Create());
root.Subcommands.Add(DatasetsCommand.Create());
root.Subcommands.Add(DbCommand.Create());
return await root.Parse(args).InvokeAsync();
