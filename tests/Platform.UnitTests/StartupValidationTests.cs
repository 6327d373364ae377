using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.Hosting;
using Platform.Router.Extensions;

namespace Platform.UnitTests;

/// <summary>A service configured without a broker or a database fails at start, naming the setting.</summary>
public sealed class StartupValidationTests
{
    private static async Task<OptionsValidationException> StartRouterWith(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddRouterServices();
        using var host = builder.Build();
        return await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }

    [Theory]
    [InlineData("change-me", "Host=db;Database=ttc;Username=ttc;Password=secret-1", "Messaging:RabbitMq:Password")]
    [InlineData("secret-2", "Host=db;Database=ttc;Username=ttc;Password=change-me", "ConnectionStrings:Platform")]
    public async Task A_placeholder_password_from_the_env_example_stops_a_production_start(string rabbitPassword, string connection, string setting)
    {
        var error = await StartRouterWith(new()
        {
            ["Messaging:RabbitMq:Host"] = "broker", ["Messaging:RabbitMq:Username"] = "ttc", ["Messaging:RabbitMq:Password"] = rabbitPassword,
            ["ConnectionStrings:Platform"] = connection,
        });
        Assert.Contains(setting, error.Message);
        Assert.Contains("placeholder", error.Message);
    }

    [Fact]
    public async Task Missing_broker_address_names_the_setting()
    {
        var error = await StartRouterWith(new()
        {
            ["Messaging:Transport"] = "RabbitMq",
            ["Messaging:RabbitMq:Username"] = "u",
            ["Messaging:RabbitMq:Password"] = "p",
            ["ConnectionStrings:Platform"] = "Host=db;Database=ttc",
        });
        Assert.Contains("Messaging:RabbitMq:Host", error.Message);
        Assert.DoesNotContain("Username", error.Message);
    }

    [Fact]
    public async Task Missing_broker_credentials_name_the_settings()
    {
        var error = await StartRouterWith(new()
        {
            ["Messaging:RabbitMq:Host"] = "broker",
            ["ConnectionStrings:Platform"] = "Host=db;Database=ttc",
        });
        Assert.Contains("Messaging:RabbitMq:Username", error.Message);
        Assert.Contains("Messaging:RabbitMq:Password", error.Message);
    }

    [Theory]
    [InlineData("Router:Sweeps:Cron", "every night", "Router:Sweeps:Cron must be a Quartz cron expression")]
    [InlineData("Router:Sweeps:Budgets", "4,x", "Router:Sweeps:Budgets must be integers")]
    [InlineData("Router:Sweeps:Oracle", "majority-1000", "Router:Sweeps:Oracle must name a cell of the grid")]
    [InlineData("Router:Sweeps:TimeZone", "Mars/Olympus", "Router:Sweeps:TimeZone must be a time zone id")]
    [InlineData("Router:Sweeps:Limit", "0", "Router:Sweeps:Limit must be >= 1")]
    [InlineData("Router:Sweeps:BudgetBy", "joules", "Router:Sweeps:BudgetBy must be 'flops', 'tokens' or 'samples'")]
    public async Task A_bad_sweep_schedule_setting_names_itself(string setting, string value, string message)
    {
        var error = await StartRouterWith(new()
        {
            ["Messaging:Transport"] = "InMemory",
            ["ConnectionStrings:Platform"] = "Host=db;Database=ttc",
            [setting] = value,
        });
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task Missing_connection_string_names_the_setting()
    {
        var error = await StartRouterWith(new()
        {
            ["Messaging:Transport"] = "InMemory",
        });
        Assert.Contains("ConnectionStrings:Platform", error.Message);
    }

    [Theory]
    [InlineData(0, "Messaging:RabbitMq:Port")]
    [InlineData(70000, "Messaging:RabbitMq:Port")]
    public void Out_of_range_port_names_the_setting(int port, string setting)
    {
        var result = new MessagingOptionsValidator().Validate(null, new MessagingOptions
        {
            RabbitMq = new RabbitMqOptions { Host = "h", Username = "u", Password = "p", Port = port },
        });
        Assert.True(result.Failed);
        Assert.Contains(setting, result.FailureMessage);
    }

    [Fact]
    public void In_memory_transport_needs_no_broker()
    {
        var result = new MessagingOptionsValidator().Validate(null, new MessagingOptions { Transport = MessagingTransport.InMemory });
        Assert.True(result.Succeeded);
    }
}
