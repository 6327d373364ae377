using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Aggregator.Extensions;
using Platform.Contracts;
using Platform.Generator.Extensions;
using Platform.Hosting;
using Platform.Router.Extensions;
using Platform.Storage;
using Platform.Verifier.Extensions;

namespace Platform.IntegrationTests;

/// <summary>Events the observer host saw, by type.</summary>
public sealed class Observed
{
    public ConcurrentBag<BatchCompleted> BatchesCompleted { get; } = [];
    public ConcurrentBag<BatchRejected> BatchesRejected { get; } = [];
    public ConcurrentBag<RunCompleted> RunsCompleted { get; } = [];

    public async Task<T> WaitFor<T>(Func<IEnumerable<T>> source, Func<T, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (source().FirstOrDefault(match) is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no {typeof(T).Name} within {timeout}");
    }
}

public sealed class ObserverConsumer(Observed observed) : IConsumer<BatchCompleted>, IConsumer<BatchRejected>, IConsumer<RunCompleted>
{
    public Task Consume(ConsumeContext<BatchCompleted> context)
    {
        observed.BatchesCompleted.Add(context.Message);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<BatchRejected> context)
    {
        observed.BatchesRejected.Add(context.Message);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<RunCompleted> context)
    {
        observed.RunsCompleted.Add(context.Message);
        return Task.CompletedTask;
    }
}

/// <summary>The four services, each its own host (own bus connection, own container) as in production, plus an observer.</summary>
public sealed class PlatformHosts : IAsyncDisposable
{
    private readonly List<IHost> _hosts = [];
    private Func<Action<IHostApplicationBuilder>, string?, IHost>? _build;
    private Func<WebApplication>? _buildRouter;

    private bool _aggregatorStopped;

    public Observed Observed { get; } = new();
    public IHost Router => _hosts[0];
    public string ConnectionString { get; private set; } = "";

    /// <summary>With least privilege: the login connection strings of the services' own users.</summary>
    public Dictionary<string, string> Logins { get; } = [];

    /// <summary>The Router's HTTP API (Kestrel on a free loopback port).</summary>
    public HttpClient Http { get; private set; } = new();

    /// <param name="workers">Generator and Verifier instances each (competing consumers on their queues).</param>
    /// <param name="leastPrivilege">
    /// Migrate as the owner first, then run Router and Aggregator as login users of their own roles
    /// (no DDL, only their grants), as production does.
    /// </param>
    /// <param name="configure">Runs on each host's builder with the service's name (router, aggregator, generator, verifier).</param>
    public static async Task<PlatformHosts> Start(Servers servers, Dictionary<string, string?>? extra = null, int workers = 1, bool leastPrivilege = false,
        Action<string, IHostApplicationBuilder>? configure = null)
    {
        var hosts = new PlatformHosts { ConnectionString = await servers.CreateDatabaseAsync() };
        var settings = servers.HostSettings(hosts.ConnectionString);
        settings["Storage:MigrateOnStart"] = "true";
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        var perService = new Dictionary<string, Dictionary<string, string?>>();
        if (leastPrivilege)
        {
            await using (var owner = hosts.NewContext())
            {
                await DatabaseInitializer.InitializeAsync(owner);
            }

            foreach (var service in new[] { "router", "aggregator" })
            {
                var user = $"{service}_{Guid.NewGuid():N}"[..24];
                var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
                await DatabaseRoles.CreateUser(hosts.ConnectionString, user, password, service, CancellationToken.None);
                var login = new Npgsql.NpgsqlConnectionStringBuilder(hosts.ConnectionString) { Username = user, Password = password }.ConnectionString;
                perService[service] = new() { ["ConnectionStrings:Platform"] = login, ["Storage:MigrateOnStart"] = "false" };
                hosts.Logins[service] = login;
            }
        }

        IHost Build(Action<IHostApplicationBuilder> add, string? service = null)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(settings);
            if (service is not null && perService.TryGetValue(service, out var own))
            {
                builder.Configuration.AddInMemoryCollection(own);
            }

            if (service is not null)
            {
                configure?.Invoke(service, builder);
            }

            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddFilter("MassTransit", LogLevel.Error);
            add(builder);
            return builder.Build();
        }

        hosts._build = Build;

        // Router first: it applies the migrations. It is the real web application, listening on loopback.
        WebApplication BuildRouter() => Platform.Router.RouterApp.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            if (perService.TryGetValue("router", out var own))
            {
                b.Configuration.AddInMemoryCollection(own);
            }

            b.Logging.ClearProviders();
            b.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            b.Logging.AddFilter("MassTransit", LogLevel.Error);
            b.WebHost.UseUrls("http://127.0.0.1:0");
            configure?.Invoke("router", b);
        });
        hosts._buildRouter = BuildRouter;
        var router = BuildRouter();
        hosts._hosts.Add(router);
        hosts._hosts.Add(Build(b => b.AddAggregatorServices(), "aggregator"));
        for (var i = 0; i < workers; i++)
        {
            hosts._hosts.Add(Build(b => b.AddGeneratorServices(), "generator"));
            hosts._hosts.Add(Build(b => b.AddVerifierServices(), "verifier"));
        }

        hosts._hosts.Add(Build(b =>
        {
            b.Services.AddSingleton(hosts.Observed);
            b.AddPlatformMessaging("observer", [], x => x.AddConsumer<ObserverConsumer>().Endpoint(e => e.InstanceId = Guid.NewGuid().ToString("N")[..8]));
        }));
        foreach (var host in hosts._hosts)
        {
            await host.StartAsync();
        }

        hosts.Http = new HttpClient { BaseAddress = new Uri(router.Urls.First()), Timeout = TimeSpan.FromSeconds(60) };
        await using (var db = hosts.NewContext())
        {
            var (key, _) = await ApiKeys.Create(db, "tests", DateTimeOffset.UtcNow, CancellationToken.None);
            hosts.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }
        return hosts;
    }

    /// <summary>Stops the Aggregator (its queues keep collecting replies) until <see cref="StartAggregator"/>.</summary>
    public async Task StopAggregator()
    {
        await _hosts[1].StopAsync();
        _hosts[1].Dispose();
        _aggregatorStopped = true;
    }

    public async Task StartAggregator()
    {
        _hosts[1] = _build!(b => b.AddAggregatorServices(), "aggregator");
        await _hosts[1].StartAsync();
        _aggregatorStopped = false;
    }

    /// <summary>Stops the Router (its API, consumers and admission scheduler) and starts a new one on the same database and broker.</summary>
    public async Task RestartRouter()
    {
        await _hosts[0].StopAsync();
        _hosts[0].Dispose();
        _hosts[0] = _buildRouter!();
        await _hosts[0].StartAsync();
        var auth = Http.DefaultRequestHeaders.Authorization;
        Http = new HttpClient { BaseAddress = new Uri(((WebApplication)_hosts[0]).Urls.First()), Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Authorization = auth;
    }

    /// <summary>A new API key named <paramref name="name"/>.</summary>
    public async Task<string> KeyFor(string name)
    {
        await using var db = NewContext();
        return (await ApiKeys.Create(db, name, DateTimeOffset.UtcNow, CancellationToken.None)).Key;
    }

    /// <summary>A client of the Router's API with a new key of its own, named <paramref name="name"/>.</summary>
    public async Task<HttpClient> ClientFor(string name)
    {
        var key = await KeyFor(name);
        var client = new HttpClient { BaseAddress = Http.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>The batch's row once <paramref name="done"/> holds for it (polled); fails the test after <paramref name="timeout"/> (default 3 minutes).</summary>
    public async Task<Platform.Storage.Entities.Batch> BatchWhen(Guid id, Func<Platform.Storage.Entities.Batch, bool> done, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromMinutes(3);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            await using (var db = NewContext())
            {
                if (await db.Batches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id) is { } batch && done(batch))
                {
                    return batch;
                }
            }

            Xunit.Assert.True(DateTime.UtcNow < deadline, $"batch {id} did not get there within {limit}");
            await Task.Delay(50);
        }
    }

    /// <summary>The batch's row once it has ended (any status but accepted).</summary>
    public Task<Platform.Storage.Entities.Batch> BatchEnded(Guid id, TimeSpan? timeout = null) =>
        BatchWhen(id, b => b.Status != Platform.Storage.Entities.BatchStatus.Accepted, timeout);

    public IEnumerable<IHost> Workers => _hosts.Skip(2).Take(_hosts.Count - 3);

    /// <summary>Stops a host for good (a worker lost mid-batch); disposing the hosts skips it.</summary>
    public async Task Stop(IHost host)
    {
        await host.StopAsync();
        _stopped.Add(host);
    }

    private readonly HashSet<IHost> _stopped = [];

    public PlatformDbContext NewContext() => new(PlatformDbContextOptions.Create(StorageProvider.Postgres, ConnectionString));

    public async Task Send<T>(T message, string queue)
        where T : class
    {
        var endpoint = await Router.Services.GetRequiredService<ISendEndpointProvider>().GetSendEndpoint(QueueNames.Address(queue));
        await endpoint.Send(message);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Enumerable.Reverse(_hosts))
        {
            if (_aggregatorStopped && ReferenceEquals(host, _hosts[1]))
            {
                continue;
            }

            if (_stopped.Contains(host))
            {
                host.Dispose();
                continue;
            }

            await host.StopAsync();
            host.Dispose();
        }
    }
}
