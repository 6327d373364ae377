using Platform.Hosting;

namespace Platform.Verifier.Extensions;

public static class VerifierServiceExtensions
{
    /// <summary>The Verifier: a stateless worker that scores every step of a candidate with an ONNX process reward model.</summary>
    public static IHostApplicationBuilder AddVerifierServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformMessaging("verifier", [typeof(VerifierServiceExtensions).Assembly]);
        return builder;
    }
}
