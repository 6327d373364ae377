using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.Inference.Models;
using Platform.Inference.Runtime;

namespace Platform.Inference;

public static class InferenceRegistration
{
    /// <summary>
    /// Options of the <c>Inference</c> section (execution provider, threads) and the <c>Models</c>
    /// section (where models live), validated on start, and the <see cref="ModelCatalog"/>.
    /// </summary>
    public static IHostApplicationBuilder AddPlatformInference(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(ModelCatalog)))
        {
            return builder; // the embedded host adds Generator and Verifier to one container
        }

        builder.Services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.Section)
            .Validate(o => o.ExecutionProvider.ToLowerInvariant() is "cpu" or "cuda", "Inference:ExecutionProvider must be 'cpu' or 'cuda'")
            .Validate(o => o.IntraOpThreads >= 0, "Inference:IntraOpThreads must be >= 0")
            .Validate(o => o.NativeHeapTrimSeconds >= 0, "Inference:NativeHeapTrimSeconds must be >= 0 (0: never)")
            .Validate(o => o.PrefixCacheMegabytes is >= 0 and <= InferenceOptions.MaxPrefixCacheMegabytes,
                $"Inference:PrefixCacheMegabytes must be between 0 and {InferenceOptions.MaxPrefixCacheMegabytes}")
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<InferenceOptions>, CudaAtStartup>();
        builder.Services.AddOptions<ModelsOptions>().BindConfiguration(ModelsOptions.Section)
            .Validate(o => o.Directory is null || Directory.Exists(o.Directory), "Models:Directory must name an existing folder")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new ModelCatalog(
            sp.GetRequiredService<IOptions<ModelsOptions>>().Value, sp.GetRequiredService<IOptions<InferenceOptions>>().Value));
        builder.Services.AddHostedService<PrefixCacheReport>();
        builder.Services.AddHostedService<NativeHeapTrim>();
        return builder;
    }
}

/// <summary>
/// With <c>Inference:ExecutionProvider=cuda</c> a service does not start on a host that lacks the CUDA
/// libraries: the error names the ones the dynamic loader cannot find, before any message is taken.
/// </summary>
internal sealed class CudaAtStartup : IValidateOptions<InferenceOptions>
{
    public ValidateOptionsResult Validate(string? name, InferenceOptions options)
    {
        if (!string.Equals(options.ExecutionProvider, "cuda", StringComparison.OrdinalIgnoreCase))
        {
            return ValidateOptionsResult.Success;
        }

        return CudaLibraries.Problem(options) is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }
}
