using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.Generator;
using Platform.Generator.Extensions;

namespace Platform.IntegrationTests;

/// <summary>The Generator's start-up checks: a bad decode loop count or a CUDA provider the host cannot run stops the start naming the setting; the default loops follow the cores.</summary>
public sealed class GeneratorOptionsTests
{
    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddGeneratorComponents();
        return builder.Build();
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("65")]
    public async Task A_decode_loop_count_out_of_range_stops_the_start_naming_the_setting(string engines)
    {
        using var host = Build(new() { ["Generator:Engines"] = engines });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Generator:Engines", error.Message);
        Assert.Contains("0..64", error.Message);
    }

    [Fact]
    public async Task Asking_for_CUDA_on_a_host_without_its_libraries_stops_the_start_naming_them()
    {
        // A library no host has, so that the check is the same with or without a GPU.
        using var host = Build(new() { ["Inference:ExecutionProvider"] = "cuda", ["Inference:CudaLibraries:0"] = "libttc-absent-cuda.so.1" });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Inference:ExecutionProvider", error.Message);
        Assert.Contains("libttc-absent-cuda.so.1", error.Message);
    }

    [Theory]
    [InlineData(null, -1)]   // the default: one loop per core, at most 8
    [InlineData("3", 3)]
    public async Task The_service_runs_the_configured_or_default_decode_loops(string? engines, int expected)
    {
        using var host = Build(engines is null ? [] : new() { ["Generator:Engines"] = engines });
        await host.StartAsync();
        try
        {
            var service = host.Services.GetRequiredService<GenerationService>();
            Assert.Equal(expected > 0 ? expected : Math.Clamp(Environment.ProcessorCount, 1, 8), service.Engines);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
