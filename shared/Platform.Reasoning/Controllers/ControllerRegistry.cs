using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Platform.Reasoning.Planning;
using Platform.Reasoning.Selection;

namespace Platform.Reasoning.Controllers;

/// <summary>A strategy and its parameters, as a plan carries them (one meaning of N for all: samples).</summary>
public sealed record ControllerSettings
{
    public string Strategy { get; init; } = Strategies.Greedy;

    /// <summary>Samples (sampling strategies) or the search budget in samples per round (beam, DVTS, lookahead) or in total (MCTS).</summary>
    public int N { get; init; } = 1;

    public string Aggregation { get; init; } = "last";
    public double Temperature { get; init; } = DefaultPolicy.SamplingTemperature;
    public int BeamWidth { get; init; }
    public int Lookahead { get; init; }
    public int MaxRounds { get; init; }
    public int Iterations { get; init; }
    public double Exploration { get; init; }
    public long TokenBudget { get; init; }
    public bool SelectByValue { get; init; }

    /// <summary>Probe samples run first (scored, then handed to the strategy); 0: none.</summary>
    public int Probes { get; init; }

    /// <summary>Sequential revisions: parallel chains P and attempts per chain L (0: from N, P = the largest divisor of N not above √N).</summary>
    public int Chains { get; init; }

    public int ChainLength { get; init; }

    /// <summary>Sequential revisions: "verifier" (best per chain, then weighted across chains) or "majority" (over all attempts).</summary>
    public string? RevisionSelection { get; init; }

    /// <summary>Samples (sequential revisions: chains) in waves, stopped once the answer is settled (null: all at once).</summary>
    public EarlyStop? EarlyStop { get; init; }

    /// <summary>Confidence voting and DeepConf: how the traces' confidence ranks, filters and stops them (null: the defaults).</summary>
    public Confidence.ConfidenceSettings? Confidence { get; init; }

    /// <summary>For compute-optimal: the fitted policy's rule for what follows the probes.</summary>
    public Policy.PolicyFollowUp? Policy { get; init; }
}

/// <summary>
/// The one place strategies are registered: a strategy name maps to a factory of its controller, and
/// every controller type to the name its saved state carries. Adding a strategy is a controller class
/// here and a line below; the services need no change.
/// </summary>
public static class ControllerRegistry
{
    private static readonly Dictionary<string, Func<ControllerSettings, StrategyController>> Factories = new(StringComparer.Ordinal)
    {
        [Strategies.Greedy] = s => Sampling(s with { N = 1, Temperature = 0 }, PoolSelection.First),
        [Strategies.BudgetForcing] = s => Sampling(s with { N = 1, Temperature = 0 }, PoolSelection.First, budgetForcing: true),
        [Strategies.SelfConsistency] = s => Sampling(s, PoolSelection.Majority),
        [Strategies.BestOfN] = s => Sampling(s, PoolSelection.Best),
        [Strategies.WeightedBestOfN] = s => Sampling(s, PoolSelection.Weighted),
        [Strategies.BeamSearch] = s => Beam(s, diverse: false, lookahead: 0),
        [Strategies.Dvts] = s => Beam(s, diverse: true, lookahead: 0),
        [Strategies.Lookahead] = s => Beam(s, diverse: false, lookahead: s.Lookahead > 0 ? s.Lookahead : 1),
        [Strategies.Mcts] = Tree,
        [Strategies.ComputeOptimal] = s => ProbeThen.Create(s.Probes > 0 ? s.Probes : Policy.ComputeOptimalPolicy.DefaultProbes, s.Temperature > 0 ? s.Temperature : DefaultPolicy.SamplingTemperature,
            s.Policy ?? throw new ArgumentException("compute-optimal needs a fitted policy (ttc policy fit; Router:PolicyFile) and the plan carries none")),
        [Strategies.SequentialRevisions] = Revisions,
        [Strategies.ConfidenceVote] = s => Sampling(s, PoolSelection.Confidence),
        [Strategies.DeepConf] = s => Online(s),
    };

    /// <summary>
    /// DeepConf online: the plan's settings, with a warmup of N/4 traces (2 to 16) where it names none, and — where the plan names
    /// no early stop — DeepConf's consensus (the leading answer holds 95% of the confidence-weighted vote) after waves of half the warmup.
    /// </summary>
    private static SampleAndSelect Online(ControllerSettings s)
    {
        var c = s.Confidence ?? new Confidence.ConfidenceSettings();
        c = c.Warmup > 0 ? c : c with { Warmup = Math.Clamp(s.N / 4, 2, 16) };
        return Sampling(s with { Confidence = c, EarlyStop = s.EarlyStop ?? new EarlyStop { Weight = 0, Share = 0.95, Wave = Math.Max(1, c.Warmup / 2) } },
            PoolSelection.Confidence);
    }

    private static readonly (Type Type, string Name)[] Types =
    [
        (typeof(SampleAndSelect), "sample"),
        (typeof(BeamSearch), "beam"),
        (typeof(Mcts), "mcts"),
        (typeof(ProbeThen), "probe-then"),
        (typeof(SequentialRevisions), "revisions"),
    ];

    private static readonly JsonSerializerOptions Json = new()
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { Polymorphic } },
        IncludeFields = false,
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    public static bool Knows(string strategy) => Factories.ContainsKey(strategy);

    /// <summary>The controller of a plan; with probes, the probes run first and the strategy is seeded with them.</summary>
    public static StrategyController Create(ControllerSettings settings)
    {
        if (!Factories.TryGetValue(settings.Strategy, out var factory))
        {
            throw new ArgumentException($"unknown strategy '{settings.Strategy}' (known: {string.Join(", ", Factories.Keys)})");
        }

        return settings.Probes > 0 && settings.Strategy != Strategies.ComputeOptimal
            ? ProbeThen.Create(settings.Probes, settings.Temperature, new FixedFollowUp { Settings = settings with { Probes = 0 } })
            : factory(settings);
    }

    public static string Save(StrategyController controller) => JsonSerializer.Serialize(controller, Json);

    public static StrategyController Load(string json) =>
        JsonSerializer.Deserialize<StrategyController>(json, Json) ?? throw new InvalidDataException("empty controller state");

    /// <summary>The default beam width: the largest divisor of N not above √N (4 for 16, 8 for 64, 2 for 4 and 8).</summary>
    public static int DefaultWidth(int n)
    {
        var best = 1;
        for (var m = 1; m * m <= n; m++)
        {
            if (n % m == 0)
            {
                best = m;
            }
        }

        return best;
    }

    private static SampleAndSelect Sampling(ControllerSettings s, PoolSelection selection, bool budgetForcing = false) => SampleAndSelect.Create(new SampleSettings
    {
        N = s.N, Temperature = s.Temperature, Selection = selection, Aggregation = StepAggregations.Parse(s.Aggregation), BudgetForcing = budgetForcing,
        Stop = selection == PoolSelection.First ? null : s.EarlyStop,
        Confidence = selection == PoolSelection.Confidence ? s.Confidence ?? new Confidence.ConfidenceSettings() : null,
    });

    private static BeamSearch Beam(ControllerSettings s, bool diverse, int lookahead) => BeamSearch.Create(new BeamSettings
    {
        N = s.N, M = Width(s), MaxRounds = s.MaxRounds > 0 ? s.MaxRounds : BeamSettings.DefaultMaxRounds, Diverse = diverse, Lookahead = lookahead,
    });

    /// <summary>The beam width (beam search, lookahead, DVTS) or branching (MCTS) a plan asks for, else <see cref="DefaultWidth"/>(N).</summary>
    private static int Width(ControllerSettings s) => s.BeamWidth > 0 ? s.BeamWidth : DefaultWidth(s.N);

    /// <summary>P and L of a sequential-revisions plan: as given, or P = <see cref="DefaultWidth"/>(N) and L = N / P.</summary>
    public static (int Chains, int Length) ChainShape(int n, int chains, int length) => (chains, length) switch
    {
        ( > 0, > 0) => (chains, length),
        ( > 0, _) => (chains, Math.Max(1, n / chains)),
        (_, > 0) => (Math.Max(1, n / length), length),
        _ => (DefaultWidth(n), n / DefaultWidth(n)),
    };

    private static SequentialRevisions Revisions(ControllerSettings s)
    {
        var (chains, length) = ChainShape(s.N, s.Chains, s.ChainLength);
        return SequentialRevisions.Create(new RevisionSettings
        {
            Chains = chains, Length = length, Temperature = s.Temperature, Aggregation = StepAggregations.Parse(s.Aggregation),
            Selection = RevisionSelections.Parse(s.RevisionSelection), Stop = s.EarlyStop,
        });
    }

    private static Mcts Tree(ControllerSettings s)
    {
        var width = Width(s);
        return Mcts.Create(new MctsSettings
        {
            Iterations = s.Iterations > 0 ? s.Iterations : Math.Max(1, s.N / width), Branching = width, Exploration = s.Exploration > 0 ? s.Exploration : 1.0,
            TokenBudget = s.TokenBudget, SelectByValue = s.SelectByValue,
        });
    }

    private static void Polymorphic(JsonTypeInfo info)
    {
        if (info.Type != typeof(StrategyController))
        {
            return;
        }

        info.PolymorphismOptions = new JsonPolymorphismOptions { TypeDiscriminatorPropertyName = "$controller" };
        foreach (var (type, name) in Types)
        {
            info.PolymorphismOptions.DerivedTypes.Add(new JsonDerivedType(type, name));
        }
    }
}
