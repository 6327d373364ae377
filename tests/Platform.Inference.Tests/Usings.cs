global using Platform.Tests.Shared;
