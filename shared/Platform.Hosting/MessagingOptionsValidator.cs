using Microsoft.Extensions.Options;

namespace Platform.Hosting;

/// <summary>Fails start-up with the name of the missing or wrong setting.</summary>
public sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        var failures = new List<string>();
        if (options.Transport == MessagingTransport.RabbitMq)
        {
            var rabbit = options.RabbitMq;
            const string prefix = MessagingOptions.Section + ":RabbitMq:";
            const string why = " is required when Messaging:Transport is RabbitMq (environment variable Messaging__RabbitMq__{0})";
            if (string.IsNullOrWhiteSpace(rabbit.Host))
            {
                failures.Add(prefix + "Host" + string.Format(why, "Host"));
            }

            if (string.IsNullOrWhiteSpace(rabbit.Username))
            {
                failures.Add(prefix + "Username" + string.Format(why, "Username"));
            }

            if (rabbit.Password is null)
            {
                failures.Add(prefix + "Password" + string.Format(why, "Password"));
            }

            if (rabbit.Port is < 1 or > 65535)
            {
                failures.Add($"{prefix}Port must be between 1 and 65535 (was {rabbit.Port})");
            }

            foreach (var (host, port) in rabbit.Endpoints().Skip(1))
            {
                if (host.Length == 0 || port is null)
                {
                    failures.Add($"{prefix}Nodes must list host:port entries separated by commas, each port between 1 and 65535 (was '{rabbit.Nodes}')");
                    break;
                }
            }
        }

        if (options.PrefetchCount is < 1 or > 10_000)
        {
            failures.Add($"{MessagingOptions.Section}:PrefetchCount must be between 1 and 10000 (was {options.PrefetchCount})");
        }

        var affinity = options.Affinity;
        if (affinity.HoldSeconds is < 1 or > 3600)
        {
            failures.Add($"{MessagingOptions.Section}:Affinity:HoldSeconds must be between 1 and 3600 (was {affinity.HoldSeconds})");
        }

        if (affinity.QueueExpirySeconds < Math.Max(60, 4 * affinity.HoldSeconds) || affinity.QueueExpirySeconds > 86_400)
        {
            failures.Add($"{MessagingOptions.Section}:Affinity:QueueExpirySeconds must be between 60 (and 4 x HoldSeconds) and 86400 (was {affinity.QueueExpirySeconds})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
