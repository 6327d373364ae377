using System.Globalization;
using System.Net;

namespace Platform.IntegrationTests;

/// <summary>
/// A service started with default settings talks to its configured broker and database and nothing
/// else: every socket of the process (read from /proc while it starts, becomes ready and idles) is a
/// listening socket or a connection to those two, and it opens no UDP socket (no name lookups).
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class OutboundConnectionTests(Servers servers)
{
    [Theory]
    [InlineData("Router")]
    [InlineData("Aggregator")]
    [InlineData("Generator")]
    [InlineData("Verifier")]
    public async Task A_service_with_default_settings_connects_only_to_its_broker_and_database(string service)
    {
        Assert.True(OperatingSystem.IsLinux(), "this check reads /proc (Linux)");
        var postgres = await servers.CreateDatabaseAsync();
        var settings = servers.HostSettings(postgres);
        settings["Storage:MigrateOnStart"] = "true";
        var allowed = new HashSet<int> { servers.RabbitPort, new Npgsql.NpgsqlConnectionStringBuilder(postgres).Port };

        var process = ServiceProcess.Start(service, settings);
        var seen = new HashSet<string>();
        try
        {
            var ready = false;
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (DateTime.UtcNow < until && !process.HasExited)
            {
                foreach (var socket in Sockets(process.Id))
                {
                    seen.Add(socket);
                }

                if (!ready && process.IsReady)
                {
                    ready = true;
                    until = DateTime.UtcNow + TimeSpan.FromSeconds(10); // and watch it idle a while
                }

                await Task.Delay(100);
            }

            Assert.True(ready, $"{service} did not become ready:\n{process.Tail()}");
        }
        finally
        {
            await process.DisposeAsync();
        }

        var outside = seen.Where(s => !s.StartsWith("listen", StringComparison.Ordinal) && !allowed.Contains(int.Parse(s.Split(':')[^1], CultureInfo.InvariantCulture))).ToList();
        Assert.True(outside.Count == 0, $"{service} opened connections outside its broker ({servers.RabbitPort}) and database: {string.Join(", ", outside)}");
        Assert.Contains(seen, s => s.EndsWith($":{servers.RabbitPort}", StringComparison.Ordinal)); // the check does see sockets
        Assert.DoesNotContain(process.Output, l => l.Contains("usage telemetry", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>"listen" for listening sockets, "tcp:ADDRESS:PORT" / "udp:ADDRESS:PORT" for the peers of the process's other sockets.</summary>
    private static IEnumerable<string> Sockets(int pid)
    {
        var inodes = new HashSet<string>();
        try
        {
            foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target[8..^1]);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break; // the process is gone
        }

        foreach (var (file, kind) in new[] { ("tcp", "tcp"), ("tcp6", "tcp"), ("udp", "udp"), ("udp6", "udp") })
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines($"/proc/{pid}/net/{file}");
            }
            catch (IOException)
            {
                continue;
            }

            foreach (var line in lines.Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 10 || !inodes.Contains(f[9]))
                {
                    continue;
                }

                var state = f[3];
                if (kind == "tcp" && state == "0A")
                {
                    yield return "listen";
                    continue;
                }

                yield return $"{kind}:{Address(f[2])}";
            }
        }
    }

    /// <summary>/proc/net hex "ADDRESS:PORT" (IPv4 little-endian words) as text.</summary>
    private static string Address(string hex)
    {
        var parts = hex.Split(':');
        var bytes = Convert.FromHexString(parts[0]);
        for (var i = 0; i < bytes.Length; i += 4)
        {
            Array.Reverse(bytes, i, 4);
        }

        return $"{new IPAddress(bytes)}:{int.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture)}";
    }
}
