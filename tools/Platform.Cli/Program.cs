using System.CommandLine;
using Platform.Cli.Commands;

var root = new RootCommand("ttc: test-time compute platform command line");
root.Subcommands.Add(DbCommand.Create());
root.Subcommands.Add(DatasetsCommand.Create());
return await root.Parse(args).InvokeAsync();
