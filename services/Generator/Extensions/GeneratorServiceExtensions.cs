using Platform.Hosting;

namespace Platform.Generator.Extensions;

public static class GeneratorServiceExtensions
{
    /// <summary>The Generator: a stateless worker that samples solutions and next steps from an ONNX language model.</summary>
    public static IHostApplicationBuilder AddGeneratorServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformMessaging("generator", [typeof(GeneratorServiceExtensions).Assembly]);
        return builder;
    }
}
