using Platform.Hosting;
using Platform.Router.Api;
using Platform.Router.Extensions;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddRouterServices();

var app = builder.Build();
app.MapPlatformHealth();
app.MapBatchEndpoints();
app.Run();
