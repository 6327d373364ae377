using Platform.Cli.Commands;

return await Cli.Build().Parse(args).InvokeAsync();
