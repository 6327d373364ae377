using Platform.Hosting;
using Platform.Verifier.Extensions;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddVerifierServices();

var app = builder.Build();
app.MapPlatformEndpoints();
app.Run();
