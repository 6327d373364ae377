using Platform.Inference.Models;
using Platform.Inference.Runtime;

namespace Platform.Inference.Tests;

/// <summary>One session per shipped model for the whole test run.</summary>
public sealed class ShippedModels : IDisposable
{
    public ShippedModels()
    {
        Generator = DecoderSession.Open(ModelDirectory.Load(Repository.Model("gen-small")), new InferenceOptions { IntraOpThreads = 1 });
        Verifier = PrmScorer.Open(ModelDirectory.Load(Repository.Model("prm")), new InferenceOptions { IntraOpThreads = 1 });
    }

    public DecoderSession Generator { get; }
    public PrmScorer Verifier { get; }

    public void Dispose()
    {
        Generator.Dispose();
        Verifier.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ShippedModelsCollection : ICollectionFixture<ShippedModels>
{
    public const string Name = "shipped models";
}
