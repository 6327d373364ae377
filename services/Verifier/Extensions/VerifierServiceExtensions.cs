using Microsoft.Extensions.Options;
using Platform.Hosting;
using Platform.Inference;
using Platform.Inference.Models;

namespace Platform.Verifier.Extensions;

public static class VerifierServiceExtensions
{
    /// <summary>The Verifier: a stateless worker that scores every step of a candidate with an ONNX process reward model.</summary>
    public static IHostApplicationBuilder AddVerifierServices(this IHostApplicationBuilder builder) =>
        builder.AddPlatformWorker("verifier", new WorkerQueue(QueueNames.ScoreCandidates, typeof(Consumers.ScoreCandidatesConsumer), Consumers.ScoreCandidatesConsumerDefinition.Concurrency),
            typeof(VerifierServiceExtensions).Assembly, b => b.AddVerifierComponents());

    /// <summary>Everything but the bus, so the embedded host can combine services on one bus.</summary>
    public static IHostApplicationBuilder AddVerifierComponents(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformInference();
        builder.Services.AddOptions<VerifierOptions>().BindConfiguration(VerifierOptions.Section)
            .Validate(o => o.MaxBatchRows is >= 1 and <= 65536, "Verifier:MaxBatchRows must be within 1..65536")
            .Validate(o => o.MaxBatchTokens >= 1, "Verifier:MaxBatchTokens must be at least 1")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new ScoringService(sp.GetRequiredService<ModelCatalog>(), sp.GetRequiredService<IOptions<VerifierOptions>>().Value));
        return builder;
    }
}
