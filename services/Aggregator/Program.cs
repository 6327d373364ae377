using Platform.Hosting;
using Platform.Aggregator.Extensions;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddAggregatorServices();

var app = builder.Build();
app.MapPlatformEndpoints();
app.Run();
