using System.CommandLine;
using Platform.Cli.Commands;

var root = new RootCommand("ttc: test-time compute platform command line");
root.Subcommands.Add(DbCommand.Create());
return await root.Parse(args).InvokeAsync();
