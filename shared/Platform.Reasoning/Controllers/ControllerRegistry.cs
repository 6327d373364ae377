using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Platform.Contracts;
using Platform.Reasoning.Confidence;
using Platform.Reasoning.Planning;
using Platform.Reasoning.Selection;

namespace Platform.Reasoning.Controllers;

/// <summary>
/// The one place strategies are registered: a strategy name maps to a factory of its controller, and
/// every controller type to the name its saved state carries. Adding a strategy is a controller class
/// here and a line below; the services need no change. A controller is made from the run's plan itself
/// (<see cref="StrategyPlan"/>, the one plan type from the Router on): its settings specs (early stop,
/// confidence, the fitted policy's rule) are read here, once, when the controller is made.
/// </summary>
public static class ControllerRegistry
{
    private static readonly Dictionary<string, Func<StrategyPlan, StrategyController>> Factories = new(StringComparer.Ordinal)
    {
        [Strategies.Greedy] = p => Sampling(p with { N = 1, Temperature = 0 }, PoolSelection.First),
        [Strategies.BudgetForcing] = p => Sampling(p with { N = 1, Temperature = 0 }, PoolSelection.First, budgetForcing: true),
        [Strategies.SelfConsistency] = p => Sampling(p, PoolSelection.Majority),
        [Strategies.BestOfN] = p => Sampling(p, PoolSelection.Best),
        [Strategies.WeightedBestOfN] = p => Sampling(p, PoolSelection.Weighted),
        [Strategies.BeamSearch] = p => Beam(p, diverse: false, lookahead: 0),
        [Strategies.Dvts] = p => Beam(p, diverse: true, lookahead: 0),
        [Strategies.Lookahead] = p => Beam(p, diverse: false, lookahead: p.Lookahead > 0 ? p.Lookahead : 1),
        [Strategies.Mcts] = Tree,
        [Strategies.ComputeOptimal] = p => ProbeThen.Create(p.Probes > 0 ? p.Probes : Policy.ComputeOptimalPolicy.DefaultProbes, p.Temperature > 0 ? p.Temperature : DefaultPolicy.SamplingTemperature,
            FollowUpOf(p) ?? throw new ArgumentException("compute-optimal needs a fitted policy (ttc policy fit; Router:PolicyFile) and the plan carries none")),
        [Strategies.SequentialRevisions] = Revisions,
        [Strategies.ConfidenceVote] = p => Sampling(p, PoolSelection.Confidence),
        [Strategies.DeepConf] = Online,
    };

    /// <summary>
    /// DeepConf online: the plan's settings, with a warmup of N/4 traces (2 to 16) where it names none, and — where the plan names
    /// no early stop — DeepConf's consensus (the leading answer holds 95% of the confidence-weighted vote) after waves of half the warmup.
    /// </summary>
    private static SampleAndSelect Online(StrategyPlan p)
    {
        var c = ConfidenceOf(p);
        c = c.Warmup > 0 ? c : c with { Warmup = Math.Clamp(p.N / 4, 2, 16) };
        return Sampling(p, PoolSelection.Confidence, stop: StopOf(p) ?? new EarlyStop { Weight = 0, Share = 0.95, Wave = Math.Max(1, c.Warmup / 2) }, confidence: c);
    }

    /// <summary>The plan's early stop (null: all samples at once).</summary>
    public static EarlyStop? StopOf(StrategyPlan p) => p.EarlyStop is { } spec ? EarlyStop.Parse(spec) : null;

    /// <summary>How the plan's traces' confidence is read (the defaults where it names none).</summary>
    public static ConfidenceSettings ConfidenceOf(StrategyPlan p) => p.Confidence is { } spec ? ConfidenceSettings.Parse(spec) : new ConfidenceSettings();

    /// <summary>The fitted policy's rule a compute-optimal plan carries (null: none).</summary>
    private static Policy.PolicyFollowUp? FollowUpOf(StrategyPlan p) =>
        p.PolicyJson is { } json ? JsonSerializer.Deserialize<Policy.PolicyFollowUp>(json, Policy.ComputeOptimalPolicy.Json) : null;

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

    /// <summary>
    /// The controller of a plan; with probes, the probes run first and the strategy is seeded with them (the follow-up keeps the
    /// plan without its conversation, which the controller never reads, so the run's saved state stays small).
    /// </summary>
    public static StrategyController Create(StrategyPlan plan)
    {
        if (!Factories.TryGetValue(plan.Strategy, out var factory))
        {
            throw new ArgumentException($"unknown strategy '{plan.Strategy}' (known: {string.Join(", ", Factories.Keys)})");
        }

        return plan.Probes > 0 && plan.Strategy != Strategies.ComputeOptimal
            ? ProbeThen.Create(plan.Probes, plan.Temperature, new FixedFollowUp { Settings = plan with { Probes = 0, Conversation = null } })
            : factory(plan);
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

    private static SampleAndSelect Sampling(StrategyPlan s, PoolSelection selection, bool budgetForcing = false, EarlyStop? stop = null, ConfidenceSettings? confidence = null) =>
        SampleAndSelect.Create(new SampleSettings
        {
            N = s.N, Temperature = s.Temperature, Selection = selection, Aggregation = StepAggregations.Parse(s.Aggregation), BudgetForcing = budgetForcing,
            Stop = selection == PoolSelection.First ? null : stop ?? StopOf(s),
            Confidence = selection == PoolSelection.Confidence ? confidence ?? ConfidenceOf(s) : null,
        });

    private static BeamSearch Beam(StrategyPlan s, bool diverse, int lookahead) => BeamSearch.Create(new BeamSettings
    {
        N = s.N, M = Width(s), MaxRounds = s.MaxRounds > 0 ? s.MaxRounds : BeamSettings.DefaultMaxRounds, Diverse = diverse, Lookahead = lookahead,
    });

    /// <summary>The beam width (beam search, lookahead, DVTS) or branching (MCTS) a plan asks for, else <see cref="DefaultWidth"/>(N).</summary>
    private static int Width(StrategyPlan s) => s.BeamWidth > 0 ? s.BeamWidth : DefaultWidth(s.N);

    /// <summary>P and L of a sequential-revisions plan: as given, or P = <see cref="DefaultWidth"/>(N) and L = N / P.</summary>
    public static (int Chains, int Length) ChainShape(int n, int chains, int length) => (chains, length) switch
    {
        ( > 0, > 0) => (chains, length),
        ( > 0, _) => (chains, Math.Max(1, n / chains)),
        (_, > 0) => (Math.Max(1, n / length), length),
        _ => (DefaultWidth(n), n / DefaultWidth(n)),
    };

    private static SequentialRevisions Revisions(StrategyPlan s)
    {
        var (chains, length) = ChainShape(s.N, s.Chains, s.ChainLength);
        return SequentialRevisions.Create(new RevisionSettings
        {
            Chains = chains, Length = length, Temperature = s.Temperature, Aggregation = StepAggregations.Parse(s.Aggregation),
            Selection = RevisionSelections.Parse(s.RevisionSelection), Stop = StopOf(s),
        });
    }

    private static Mcts Tree(StrategyPlan s)
    {
        var width = Width(s);
        return Mcts.Create(new MctsSettings
        {
            Iterations = s.Iterations > 0 ? s.Iterations : Math.Max(1, s.N / width), Branching = width, Exploration = s.ExplorationConstant > 0 ? s.ExplorationConstant : 1.0,
            TokenBudget = s.SearchTokenBudget, SelectByValue = s.SelectByValue,
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
