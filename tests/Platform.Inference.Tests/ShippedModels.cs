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
        Outcome = PrmScorer.Open(ModelDirectory.Load(Repository.Model("orm")), new InferenceOptions { IntraOpThreads = 1 });
        Reviser = DecoderSession.Open(ModelDirectory.Load(Repository.Model("gen-revise")), new InferenceOptions { IntraOpThreads = 1 });
    }

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
