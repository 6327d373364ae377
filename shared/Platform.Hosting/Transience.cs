using System.Net.Sockets;
using Npgsql;

namespace Platform.Hosting;

/// <summary>
/// Infrastructure faults — the database or the broker unreachable, a connection dropped, a timeout, a
/// lost concurrency race — say nothing about the message: it is retried with backoff until the
/// dependency is back. Any other fault is the message's own (bad data, a bug) and is not worth waiting for.
/// </summary>
public static class Transience
{
    public static bool IsInfrastructure(Exception exception)
    {
        foreach (var e in Chain(exception))
        {
            switch (e)
            {
                case PostgresException p when p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("57P", StringComparison.Ordinal)
                    || p.SqlState.StartsWith("53", StringComparison.Ordinal) || p.SqlState is "40001" or "40P01":
                    return true;
                case PostgresException:
                    return false; // a constraint, a syntax error: the statement itself
                case NpgsqlException:
                case SocketException:
                case TimeoutException:
                case IOException:
                case HttpRequestException:
                    return true;
            }

            var type = e.GetType();
            if (type.Namespace?.StartsWith("RabbitMQ.Client", StringComparison.Ordinal) == true || type.Name is "DbUpdateConcurrencyException")
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
            if (x is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain))
                {
                    yield return inner;
                }
            }
        }
    }
}
