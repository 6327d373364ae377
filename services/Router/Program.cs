using Platform.Router;

RouterApp.Build(args).Run();
