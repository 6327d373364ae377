using DotNet.Testcontainers.Builders;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace Platform.IntegrationTests;

/// <summary>
/// The real servers every integration test runs against. Taken from TTC_TEST_* environment variables
/// (set by scripts/test.sh when it starts local servers), else from Testcontainers when a Docker engine
/// answers. With neither, tests fail loudly: they never fall back to SQLite or the in-memory transport.
/// </summary>
public sealed class Servers : IAsyncLifetime
{
    private PostgreSqlContainer? _postgres;
    private RabbitMqContainer? _rabbit;

    public string PostgresAdmin { get; private set; } = "";
    public string RabbitHost { get; private set; } = "";
    public int RabbitPort { get; private set; }
    public string RabbitUser { get; private set; } = "";
    public string RabbitPassword { get; private set; } = "";

    /// <summary>A cluster's other nodes (host:port, comma-separated) and its queue type, when scripts/test.sh --rabbitmq-nodes N started one.</summary>
    public string? RabbitNodes { get; private set; }
    public string RabbitQueueType { get; private set; } = "Classic";

    /// <summary>Where the servers came from: "environment" or "testcontainers".</summary>
    public string Origin { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var pg = Environment.GetEnvironmentVariable("TTC_TEST_POSTGRES");
        var rabbitHost = Environment.GetEnvironmentVariable("TTC_TEST_RABBITMQ_HOST");
        if (!string.IsNullOrEmpty(pg) && !string.IsNullOrEmpty(rabbitHost))
        {
            PostgresAdmin = pg;
            RabbitHost = rabbitHost;
            RabbitPort = int.Parse(Environment.GetEnvironmentVariable("TTC_TEST_RABBITMQ_PORT") ?? "5672");
            RabbitUser = Environment.GetEnvironmentVariable("TTC_TEST_RABBITMQ_USER") ?? "guest";
            RabbitPassword = Environment.GetEnvironmentVariable("TTC_TEST_RABBITMQ_PASSWORD") ?? "guest";
            RabbitNodes = Environment.GetEnvironmentVariable("TTC_TEST_RABBITMQ_NODES");
            RabbitQueueType = Environment.GetEnvironmentVariable("TTC_TEST_RABBITMQ_QUEUE_TYPE") is { Length: > 0 } type ? type : "Classic";
            Origin = "environment";
            return;
        }

        try
        {
            _postgres = new PostgreSqlBuilder("postgres:15").Build();
            _rabbit = new RabbitMqBuilder("rabbitmq:3.13").Build();
            await Task.WhenAll(_postgres.StartAsync(), _rabbit.StartAsync());
        }
        catch (DockerUnavailableException e)
        {
            throw new InvalidOperationException(
                "Integration tests need PostgreSQL and RabbitMQ: set TTC_TEST_POSTGRES and TTC_TEST_RABBITMQ_HOST " +
                "(scripts/test.sh starts local servers and sets them) or make a Docker engine reachable. " + e.Message, e);
        }

        PostgresAdmin = _postgres.GetConnectionString();
        var uri = new Uri(_rabbit.GetConnectionString());
        RabbitHost = uri.Host;
        RabbitPort = uri.Port;
        var credentials = Uri.UnescapeDataString(uri.UserInfo).Split(':', 2);
        RabbitUser = credentials[0];
        RabbitPassword = credentials[1];
        Origin = "testcontainers";
    }

    /// <summary>A new, empty database for one test class; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "ttc_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(PostgresAdmin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"create database {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(PostgresAdmin) { Database = name }.ConnectionString;
    }

    /// <summary>Configuration entries that point a host at these servers.</summary>
    public Dictionary<string, string?> HostSettings(string postgres) => new()
    {
        ["Messaging:Transport"] = "RabbitMq",
        ["Messaging:RabbitMq:Host"] = RabbitHost,
        ["Messaging:RabbitMq:Port"] = RabbitPort.ToString(),
        ["Messaging:RabbitMq:Username"] = RabbitUser,
        ["Messaging:RabbitMq:Password"] = RabbitPassword,
        ["Messaging:RabbitMq:Nodes"] = RabbitNodes,
        ["Messaging:RabbitMq:QueueType"] = RabbitQueueType,
        ["Storage:Provider"] = "Postgres",
        ["ConnectionStrings:Platform"] = postgres,
    };

    /// <summary>The messaging settings of <see cref="HostSettings"/>, bound as a service binds them.</summary>
    public Platform.Hosting.MessagingOptions Messaging() =>
        new ConfigurationBuilder().AddInMemoryCollection(HostSettings("")).Build()
            .GetSection(Platform.Hosting.MessagingOptions.Section).Get<Platform.Hosting.MessagingOptions>()!;

    public async Task DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        if (_rabbit is not null)
        {
            await _rabbit.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServersCollection : ICollectionFixture<Servers>
{
    public const string Name = "servers";
}
