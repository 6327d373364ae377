using Platform.Inference.Models;
using Platform.Inference.Runtime;

namespace Platform.Inference.Tests;

/// <summary>One session per shipped model for the whole test run.</summary>
public sealed class ShippedModels : IDisposable
{
    public ShippedModels()
    {
        // No prefix cache between calls: each test's compute is what its own requests cost (PrefixCacheTests opens its own sessions).
        Generator = DecoderSession.Open(ModelDirectory.Load(Repository.Model("gen-small")), Uncached);
        Verifier = PrmScorer.Open(ModelDirectory.Load(Repository.Model("prm")), Uncached);
        Outcome = PrmScorer.Open(ModelDirectory.Load(Repository.Model("orm")), Uncached);
        Reviser = DecoderSession.Open(ModelDirectory.Load(Repository.Model("gen-revise")), Uncached);
    }

    public static InferenceOptions Uncached => new() { IntraOpThreads = 1, PrefixCacheMegabytes = 0 };

    /// <summary>The shipped revision model.</summary>
    public DecoderSession Reviser { get; }

    public DecoderSession Generator { get; }
    /// <summary>The shipped PRM (a generative verifier).</summary>
    public PrmScorer Verifier { get; }

    /// <summary>The shipped ORM (one score for the whole solution, read at every step).</summary>
    public PrmScorer Outcome { get; }

    public void Dispose()
    {
        Generator.Dispose();
        Verifier.Dispose();
        Outcome.Dispose();
        Reviser.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ShippedModelsCollection : ICollectionFixture<ShippedModels>
{
    public const string Name = "shipped models";
}
