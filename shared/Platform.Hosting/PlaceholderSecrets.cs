using Microsoft.Extensions.Configuration;

namespace Platform.Hosting;

/// <summary>
/// The placeholders of <c>.env.example</c> must never reach production: a service in the Production
/// environment whose broker password or database connection string still holds one refuses to start,
/// naming the setting.
/// </summary>
public static class PlaceholderSecrets
{
    public static readonly IReadOnlyList<string> Placeholders = ["change-me", "changeme", "password"];

    public static IReadOnlyList<string> Find(IConfiguration configuration)
    {
        var found = new List<string>();
        var rabbit = configuration[$"{MessagingOptions.Section}:RabbitMq:Password"];
        if (rabbit is not null && Placeholders.Contains(rabbit, StringComparer.OrdinalIgnoreCase))
        {
            found.Add($"{MessagingOptions.Section}:RabbitMq:Password");
        }

        var connection = configuration.GetConnectionString("Platform");
        if (connection is not null && Placeholders.Any(p => connection.Contains($"Password={p}", StringComparison.OrdinalIgnoreCase)))
        {
            found.Add("ConnectionStrings:Platform");
        }

        return found;
    }
}
