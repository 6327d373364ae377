using System.Globalization;
using MathNet.Numerics;

namespace Platform.Reasoning.Controllers;

/// <summary>
/// Adaptive stopping, shared by every strategy that samples in waves (voting, best-of-N, sequential
/// revisions, DeepConf): candidates (or chains) start <see cref="Wave"/> at a time and after each wave the
/// run's vote so far — the weight behind each answer, as the strategy's own pick weighs it (counts for
/// majority voting, verifier or confidence scores for weighted votes) — is checked by one rule:
/// <list type="bullet">
/// <item><c>weight</c>: the leading answer carries at least <see cref="Weight"/> and at least <see cref="Share"/>
/// of all the weight (DeepConf's consensus when Weight is 0).</item>
/// <item><c>beta</c>: Adaptive-Consistency's Beta criterion (Aggarwal et al. 2023): the probability that the
/// leading answer's true share exceeds the runner-up's, under Beta(w1 + 1, w2 + 1), is at least <see cref="Level"/>.</item>
/// <item><c>esc</c>: Early-Stopping Self-Consistency (Li et al. 2024): every candidate of the last whole wave has the same answer.</item>
/// </list>
/// With any rule the run also gives up once <see cref="GiveUpAfter"/> candidates (chains) have run with the
/// leading answer still under <see cref="GiveUpWeight"/>. N stays the most a run may use.
/// </summary>
public sealed record EarlyStop
{
    public const string WeightRule = "weight";
    public const string BetaRule = "beta";
    public const string EscRule = "esc";

    private static readonly string[] Rules = [WeightRule, BetaRule, EscRule];

    /// <summary>What decides that the answer is settled: weight, beta or esc.</summary>
    public string Rule { get; init; } = WeightRule;

    /// <summary>Candidates (chains) started per wave.</summary>
    public int Wave { get; init; } = 1;

    /// <summary>The weight the leading answer needs to stop the run (rule weight).</summary>
    public double Weight { get; init; } = 0.5;

    /// <summary>The share of all weight the leading answer needs to stop the run (rule weight).</summary>
    public double Share { get; init; } = 0.5;

    /// <summary>The probability the leading answer must lead with (rule beta).</summary>
    public double Level { get; init; } = 0.95;

    /// <summary>Candidates after which a run with no answer of <see cref="GiveUpWeight"/> stops; 0: never give up.</summary>
    public int GiveUpAfter { get; init; }

    public double GiveUpWeight { get; init; }

    public void Validate()
    {
        if (!Rules.Contains(Rule))
        {
            throw new ArgumentException($"unknown early-stop rule '{Rule}' (known: {string.Join(", ", Rules)})");
        }

        if (Wave < 1)
        {
            throw new ArgumentException($"the early-stop wave must be at least 1 (was {Wave})");
        }

        if (Rule == EscRule && Wave < 2)
        {
            throw new ArgumentException($"the esc rule needs a wave of at least 2 samples to agree (was {Wave})");
        }

        if (Weight < 0 || double.IsNaN(Weight) || GiveUpWeight < 0 || double.IsNaN(GiveUpWeight))
        {
            throw new ArgumentException($"early-stop weights must be >= 0 (stop weight {Weight}, give-up weight {GiveUpWeight})");
        }

        if (Share is < 0 or > 1 || double.IsNaN(Share))
        {
            throw new ArgumentException($"the early-stop share must be within [0, 1] (was {Share})");
        }

        if (Level is <= 0.5 or >= 1 || double.IsNaN(Level))
        {
            throw new ArgumentException($"the early-stop level must be within (0.5, 1) (was {Level})");
        }

        if (GiveUpAfter < 0)
        {
            throw new ArgumentException($"early-stop give-up-after must be >= 0 (was {GiveUpAfter})");
        }
    }

    private static readonly string[] Keys = ["rule", "wave", "weight", "share", "level", "give-up-after", "give-up-weight"];

    /// <summary>The settings as "rule=weight,wave=1,weight=0.5,share=0.5,level=0.95,give-up-after=16,give-up-weight=0.5" (what plans and <c>--early-stop</c> carry).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Spec => string.Create(CultureInfo.InvariantCulture,
        $"rule={Rule},wave={Wave},weight={Weight},share={Share},level={Level},give-up-after={GiveUpAfter},give-up-weight={GiveUpWeight}");

    /// <summary>
    /// Reads a spec like <see cref="Spec"/>; keys left out keep their defaults, and "on" (or "") is all
    /// defaults. An unknown key or a value that is not a number is an error naming it and the keys known.
    /// </summary>
    public static EarlyStop Parse(string spec)
    {
        var stop = new EarlyStop();
        foreach (var (key, value) in Planning.SettingSpec.Pairs(spec, "early stop", Keys))
        {
            stop = key switch
            {
                "rule" => stop with { Rule = value },
                "wave" => stop with { Wave = (int)Number(key, value, integer: true) },
                "weight" => stop with { Weight = Number(key, value) },
                "share" => stop with { Share = Number(key, value) },
                "level" => stop with { Level = Number(key, value) },
                "give-up-after" => stop with { GiveUpAfter = (int)Number(key, value, integer: true) },
                _ => stop with { GiveUpWeight = Number(key, value) },
            };
        }

        stop.Validate();
        return stop;
    }

    private static double Number(string key, string value, bool integer = false) => Planning.SettingSpec.Number("early stop", key, value, integer);

    /// <summary>
    /// Whether a run is done whose vote weighs <paramref name="weights"/> per answer after <paramref name="done"/>
    /// finished candidates (chains), the last whole wave of which had <paramref name="lastWave"/> as answers.
    /// </summary>
    public bool Settled(IReadOnlyCollection<double> weights, int done, IReadOnlyList<string?>? lastWave = null)
    {
        var ordered = weights.OrderDescending().ToList();
        var top = ordered.Count == 0 ? 0 : ordered[0];
        var total = weights.Sum();
        var settled = Rule switch
        {
            BetaRule => total > 0 && Lead(top, ordered.Count > 1 ? ordered[1] : 0) >= Level,
            EscRule => lastWave is { Count: > 0 } wave && wave.Count >= Wave && wave[0] is not null && wave.All(a => a == wave[0]),
            _ => total > 0 && top >= Weight && top >= Share * total,
        };
        return settled || (GiveUpAfter > 0 && done >= GiveUpAfter && top < GiveUpWeight);
    }

    /// <summary>P(p1 &gt; p2) for the leading two answers' shares under Beta(w1 + 1, w2 + 1): 1 − I_½(w1 + 1, w2 + 1).</summary>
    public static double Lead(double first, double second) => 1 - SpecialFunctions.BetaRegularized(first + 1, second + 1, 0.5);
}
