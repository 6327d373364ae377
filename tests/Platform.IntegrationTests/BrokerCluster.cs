using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Platform.IntegrationTests;

/// <summary>
/// A RabbitMQ cluster of its own for one test, started by <c>scripts/services.sh start --rabbitmq-nodes N</c>
/// (the Debian packages, loopback ports) and driven by the script's outage commands, as the chaos suite drives it.
/// </summary>
public sealed partial class BrokerCluster : IAsyncDisposable
{
    private readonly Dictionary<string, string> _exports;

    private BrokerCluster(Dictionary<string, string> exports) => _exports = exports;

    private string Directory => _exports["TTC_TEST_SERVICES_DIR"];

    public static async Task<BrokerCluster> Start(int nodes)
    {
        var output = await Script("start", "--rabbitmq-nodes", nodes.ToString(), "--no-postgres");
        var exports = Assignment().Matches(output).ToDictionary(m => m.Groups[1].Value, m => m.Groups[3].Success ? m.Groups[3].Value : m.Groups[2].Value);
        return new BrokerCluster(exports);
    }

    /// <summary>Settings that point a host at every node of the cluster, with quorum queues.</summary>
    public Dictionary<string, string?> Settings => new()
    {
        ["Messaging:RabbitMq:Host"] = _exports["TTC_TEST_RABBITMQ_HOST"],
        ["Messaging:RabbitMq:Port"] = _exports["TTC_TEST_RABBITMQ_PORT"],
        ["Messaging:RabbitMq:Username"] = _exports["TTC_TEST_RABBITMQ_USER"],
        ["Messaging:RabbitMq:Password"] = _exports["TTC_TEST_RABBITMQ_PASSWORD"],
        ["Messaging:RabbitMq:Nodes"] = _exports["TTC_TEST_RABBITMQ_NODES"],
        ["Messaging:RabbitMq:QueueType"] = _exports["TTC_TEST_RABBITMQ_QUEUE_TYPE"],
    };

    /// <summary>The node (1-based) that leads the busiest quorum queues.</summary>
    public async Task<int> Busiest() => int.Parse((await Script("rabbit-busiest", Directory)).Trim());

    public Task Stop(int node) => Script("rabbit-stop", Directory, node.ToString());

    public Task Kill(int node) => Script("rabbit-kill", Directory, node.ToString());

    public Task StartNode(int node) => Script("rabbit-start", Directory, node.ToString());

    /// <summary>Every queue: name, type, leader, members, messages.</summary>
    public async Task<List<JsonElement>> Queues() =>
        JsonSerializer.Deserialize<List<JsonElement>>(await Script("rabbit-queues", Directory))!;

    public async ValueTask DisposeAsync() => await Script("stop", Directory);

    private static async Task<string> Script(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Platform.Tests.Shared.Repository.Path("scripts/services.sh"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"services.sh {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    [GeneratedRegex(@"(TTC_TEST_\w+)=(?:'([^']*)'|(\S+))")]
    private static partial Regex Assignment();
}
