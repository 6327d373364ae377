using System.Collections.Concurrent;
using System.Diagnostics;

namespace Platform.IntegrationTests;

/// <summary>
/// One platform service as its own process (the built Release DLL, as scripts/up.sh runs it), with its
/// settings as environment variables and its output kept for assertions and failure messages.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private bool _disposed;

    private ServiceProcess(string service, Process process)
    {
        Service = service;
        _process = process;
    }

    public string Service { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public ConcurrentQueue<string> Output { get; } = new();

    /// <summary>Starts <c>services/SERVICE/bin/Release/net10.0/Platform.SERVICE.dll</c> with the settings ("Section:Key" names) as its environment.</summary>
    public static ServiceProcess Start(string service, IReadOnlyDictionary<string, string?> settings)
    {
        var dll = Repository.Path($"services/{service}/bin/Release/net10.0/Platform.{service}.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first (scripts/test.sh does)");
        var start = new ProcessStartInfo("dotnet", dll) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Urls"] = "http://127.0.0.1:0"; // over the Router's appsettings.json (port 5080), so several can run
        start.Environment["Models__Directory"] = Repository.Path("models");
        var process = Process.Start(start)!;
        var started = new ServiceProcess(service, process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) started.Output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) started.Output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Whether the service has logged that it is ready (bus and database connected).</summary>
    public bool IsReady => Output.Any(l => l.Contains($"{Service.ToLowerInvariant()} ready", StringComparison.Ordinal));

    public async Task WaitReady(TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!IsReady && !_process.HasExited && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        Assert.True(IsReady, $"{Service} did not become ready:\n{Tail()}");
    }

    /// <summary>SIGKILL: the process gets no chance to finish or hand anything back.</summary>
    public async Task Kill()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public string Tail(int lines = 30) => string.Join("\n", Output.TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
