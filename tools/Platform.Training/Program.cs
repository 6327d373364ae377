using System.CommandLine;
using Platform.Training.Commands;

var root = new RootCommand("ttc-train: train, export and measure the project's own models");
root.Subcommands.Add(TrainGeneratorCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(PrmDataCommand.Create());
root.Subcommands.Add(TrainPrmCommand.Create());
root.Subcommands.Add(CardCommand.Create());
root.Subcommands.Add(ProbePrmCommand.Create());
root.Subcommands.Add(ReviseDataCommand.Create());
root.Subcommands.Add(TrainReviseCommand.Create());
root.Subcommands.Add(EvaluateRevisionsCommand.Create());
root.Subcommands.Add(ProblemsCommand.Create());
return await root.Parse(args).InvokeAsync();
