using Microsoft.Extensions.Options;
using Platform.Hosting;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Inference;

namespace Platform.Generator.Extensions;

public static class GeneratorServiceExtensions
{
    /// <summary>The Generator: a stateless worker that samples solutions and next steps from an ONNX language model.</summary>
    public static IHostApplicationBuilder AddGeneratorServices(this IHostApplicationBuilder builder) =>
        builder.AddPlatformWorker("generator", new WorkerQueue(QueueNames.GenerateCandidates, typeof(Consumers.GenerateCandidatesConsumer), Consumers.GenerateCandidatesConsumerDefinition.Concurrency),
            typeof(GeneratorServiceExtensions).Assembly, b => b.AddGeneratorComponents());

    /// <summary>Everything but the bus, so the embedded host can combine services on one bus.</summary>
    public static IHostApplicationBuilder AddGeneratorComponents(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformInference();
        builder.Services.AddOptions<GeneratorOptions>().BindConfiguration(GeneratorOptions.Section)
            .Validate(o => o.MaxBatchRows is >= 1 and <= 65536, "Generator:MaxBatchRows must be within 1..65536")
            .Validate(o => o.MaxBatchCells >= 1, "Generator:MaxBatchCells must be at least 1")
            .Validate(o => o.Engines is >= 0 and <= 64, "Generator:Engines must be within 0..64 (0: one per core on the CPU, up to 8; one on a GPU)")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new GenerationService(sp.GetRequiredService<ModelCatalog>(), sp.GetRequiredService<IOptions<GeneratorOptions>>().Value,
            sp.GetRequiredService<IOptions<InferenceOptions>>().Value));
        return builder;
    }
}
