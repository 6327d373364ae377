using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Storage;

public static class StorageRegistration
{
    /// <summary>
    /// Registers <see cref="PlatformDbContext"/> from the <c>Storage</c> section and
    /// <c>ConnectionStrings:Platform</c>, a database health check (tag "ready"), and, when
    /// <c>Storage:MigrateOnStart</c> is true, brings the schema up to date before anything else starts.
    /// </summary>
    public static IHostApplicationBuilder AddPlatformStorage(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(PlatformDbContext)))
        {
            return builder; // the embedded host adds Router and Aggregator to one container
        }

        builder.Services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.Section)
            .PostConfigure(o => o.ConnectionString ??= builder.Configuration.GetConnectionString(StorageOptions.ConnectionStringName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddDbContext<PlatformDbContext>((sp, options) =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            options.UsePlatformDatabase(storage.Provider, storage.ConnectionString!);
        });

        builder.Services.AddHealthChecks().AddDbContextCheck<PlatformDbContext>("database", tags: ["ready"]);

        // Unique-key races (duplicates converging on one row) and the migration-history probe are
        // handled, not errors; a real database failure surfaces as an exception in the consumer.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Update", LogLevel.Critical);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.Critical);
        builder.Services.AddHostedService<SchemaMigrator>();
        return builder;
    }
}

/// <summary>Applies the schema at start when configured; registered before the bus so consumers see a ready database.</summary>
internal sealed class SchemaMigrator(IServiceProvider services, IOptions<StorageOptions> options, ILogger<SchemaMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.MigrateOnStart)
        {
            return;
        }

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        await DatabaseInitializer.InitializeAsync(db, cancellationToken);
        logger.LogInformation("Database schema is current ({Provider})", options.Value.Provider);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
