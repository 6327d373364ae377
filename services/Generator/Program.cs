using Platform.Hosting;
using Platform.Generator.Extensions;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddGeneratorServices();

var app = builder.Build();
app.MapPlatformEndpoints();
app.Run();
