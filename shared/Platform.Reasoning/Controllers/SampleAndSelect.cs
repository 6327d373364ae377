using Platform.Reasoning.Arithmetic;
using Platform.Reasoning.Confidence;
using Platform.Reasoning.Selection;

namespace Platform.Reasoning.Controllers;

/// <summary>How a sampling controller picks one candidate from its pool.</summary>
public enum PoolSelection
{
    /// <summary>The first candidate it generated itself (greedy decoding, budget forcing).</summary>
    First,

    /// <summary>Self-consistency: the most frequent answer.</summary>
    Majority,

    /// <summary>Best-of-N: the candidate with the highest aggregated verifier score.</summary>
    Best,

    /// <summary>Weighted best-of-N: aggregated scores summed per answer.</summary>
    Weighted,

    /// <summary>DeepConf: the most confident η% of the traces vote, each weighted by its confidence.</summary>
    Confidence,
}

public sealed record SampleSettings
{
    public int N { get; init; } = 1;
    public double Temperature { get; init; } = Planning.DefaultPolicy.SamplingTemperature;
    public PoolSelection Selection { get; init; } = PoolSelection.First;
    public StepAggregation Aggregation { get; init; } = StepAggregation.Last;
    public bool BudgetForcing { get; init; }

    /// <summary>Label the rounds as a probe's ("probe", "probe-score") rather than a strategy's own.</summary>
    public bool ProbeRounds { get; init; }

    /// <summary>Samples in waves, stopped once the vote is settled (null: all N at once).</summary>
    public EarlyStop? Stop { get; init; }

    /// <summary>How confidence ranks and filters the traces (confidence selection; with a warmup, DeepConf online).</summary>
    public ConfidenceSettings? Confidence { get; init; }

    public bool UsesVerifier => Selection is PoolSelection.Best or PoolSelection.Weighted;

    /// <summary>DeepConf online: warm-up traces set a threshold below which the Generator stops later ones.</summary>
    public bool Online => Selection == PoolSelection.Confidence && Confidence is { Warmup: > 0 };

    public void Validate()
    {
        if (N < 1)
        {
            throw new ArgumentException($"N must be at least 1 (was {N})");
        }

        if (Temperature < 0)
        {
            throw new ArgumentException($"temperature must be >= 0 (was {Temperature})");
        }

        if (Selection == PoolSelection.Confidence && Confidence is null)
        {
            throw new ArgumentException("confidence selection needs confidence settings");
        }

        Stop?.Validate();
        Confidence?.Validate();
    }
}

/// <summary>
/// The sampling strategies: N whole solutions from the root (seeded candidates count towards N, except
/// for greedy decoding and budget forcing, which always answer with their own sample), a scoring round
/// when the selection needs a verifier, then the pick. Greedy is N = 1 at T = 0; self-consistency votes;
/// best-of-N and weighted best-of-N rank by the aggregated step scores; confidence voting lets the most
/// confident traces vote. With <see cref="SampleSettings.Stop"/> the N come in waves and the run ends once
/// the vote is settled (Adaptive-Consistency, ESC); with an online confidence warmup (DeepConf online) the
/// first wave sets the threshold below which the Generator stops each later trace.
/// </summary>
public sealed class SampleAndSelect : StrategyController
{
    public SampleSettings Settings { get; set; } = new();

    public static SampleAndSelect Create(SampleSettings settings)
    {
        settings.Validate();
        return new SampleAndSelect { Settings = settings };
    }

    /// <summary>The candidates the pick is made from, in order: seeded ones first, then generated ones.</summary>
    public List<string> Pool { get; set; } = [];

    /// <summary>The candidates of the last wave (what the esc rule reads).</summary>
    public List<string> LastWave { get; set; } = [];

    /// <summary>DeepConf online: the stopping threshold the warm-up traces set (null until they are in).</summary>
    public double? Threshold { get; set; }

    public override void Seed(IReadOnlyList<SearchNode> candidates, int nextId)
    {
        AddSeeds(candidates, nextId);
        Pool.AddRange(candidates.Select(c => c.Key));
    }

    protected override ControllerRequest Begin()
    {
        NewCall();
        // Seeded samples count towards N, except for greedy-like picks, which answer with their own sample; seeds may settle the vote at once.
        var missing = Settings.Selection == PoolSelection.First ? Settings.N : Settings.N - Pool.Count;
        if (missing > 0 && !(Pool.Count > 0 && (!Settings.UsesVerifier || Unscored().Count == 0) && Settled()))
        {
            return Sample(missing);
        }

        return Settings.UsesVerifier && Unscored().Count > 0 ? ScoreUnscored() : Pick();
    }

    protected override ControllerRequest Generated(string kind, IReadOnlyList<Continuation> continuations)
    {
        NewCall();
        LastWave = [];
        foreach (var c in continuations.OrderBy(c => c.SampleIndex))
        {
            var node = AddChild(c);
            node.Terminal = true;
            node.Depth = ArithmeticFormat.SplitSteps(node.Text).Count;
            node.Answer = Answers.AnswerExtractor.Extract(node.Text);
            Pool.Add(node.Key);
            LastWave.Add(node.Key);
        }

        if (Pool.Count == 0)
        {
            return new FinishRun(null, null);
        }

        if (Settings.Online && Threshold is null)
        {
            var warmup = Pool.Select(k => Nodes[k].Confidence?.LowestGroup).Where(c => c is not null).Select(c => c!.Value).ToList();
            Threshold = warmup.Count > 0 ? ConfidenceFilter.Threshold(warmup, Settings.Confidence!.KeepPercent) : null;
        }

        return Settings.UsesVerifier && Unscored().Count > 0 ? ScoreUnscored() : NextWaveOrPick();
    }

    protected override ControllerRequest ScoresArrived(IReadOnlyDictionary<string, IReadOnlyList<double>> scores)
    {
        NewCall();
        RecordScores(Unscored(), scores, Settings.Aggregation);

        return NextWaveOrPick();
    }

    /// <summary>A wave of samples: all that are missing, or with waves (early stopping, the online warmup) the next wave's worth.</summary>
    private SampleSolutions Sample(int missing)
    {
        var wave = missing;
        if (Settings.Online && Threshold is null && Pool.Count == 0)
        {
            wave = Math.Min(missing, Settings.Confidence!.Warmup);
        }
        else if (Settings.Stop is { } stop)
        {
            wave = Math.Min(missing, stop.Wave);
        }

        // With a verifier the pool's unscored samples are scored next: the new ones only, since seeds come scored.
        var scoreNext = Settings.UsesVerifier && Unscored().Count == 0 ? ScoreKind : null;
        return new SampleSolutions(wave, Settings.Temperature, Settings.BudgetForcing, Settings.ProbeRounds ? RequestKinds.Probe : RequestKinds.Generate)
        {
            ThenScore = scoreNext, StopBelow = Settings.Online ? Threshold : null,
        };
    }

    private ControllerRequest NextWaveOrPick()
    {
        var missing = Settings.Selection == PoolSelection.First ? 0 : Settings.N - Pool.Count;
        return missing > 0 && Settings.Stop is not null && !Settled() ? Sample(missing) : Pick();
    }

    /// <summary>Whether the early-stopping rule says the vote will not change.</summary>
    private bool Settled()
    {
        if (Settings.Stop is not { } stop)
        {
            return false;
        }

        var (answers, weights) = Vote();
        var wave = LastWave.Where(Nodes.ContainsKey).Select(k => Nodes[k].Answer).ToList();
        return stop.Settled(AnswerSelection.Totals(answers, weights), Pool.Count, wave);
    }

    /// <summary>Each pooled candidate's answer (null where it does not vote) and weight, as the pick weighs them.</summary>
    private (List<string?> Answers, List<double> Weights) Vote()
    {
        var answers = Pool.Select(k => Nodes[k].Answer).ToList();
        switch (Settings.Selection)
        {
            case PoolSelection.Best or PoolSelection.Weighted:
                return (answers, Pool.Select(k => Nodes[k].Score ?? 0).ToList());
            case PoolSelection.Confidence:
            {
                var measure = Settings.Confidence!.Measure;
                var confidences = Pool.Select(k => Nodes[k].Finish == SearchNode.StoppedForConfidence ? null : Nodes[k].Confidence?.By(measure)).ToList();
                var kept = Threshold is { } t
                    ? confidences.Select(c => c >= t).ToArray()
                    : ConfidenceFilter.Kept(confidences, Settings.Confidence.KeepPercent);
                return (answers.Select((a, i) => kept[i] ? a : null).ToList(), confidences.Select(c => c ?? 0).ToList());
            }

            default:
                return (answers, answers.Select(_ => 1.0).ToList());
        }
    }

    private List<string> Unscored() => Pool.Where(k => Nodes[k].Score is null).ToList();

    private string ScoreKind => Settings.ProbeRounds ? RequestKinds.ProbeScore : RequestKinds.Score;

    private ScoreTexts ScoreUnscored() => new(Unscored().Select(k => (k, Nodes[k].Text)).ToList(), ScoreKind);

    private FinishRun Pick()
    {
        if (Pool.Count == 0)
        {
            return new FinishRun(null, null);
        }

        var (answers, weights) = Vote();
        var chosen = Settings.Selection switch
        {
            PoolSelection.First => Pool.FindIndex(k => !Nodes[k].Seeded) is var i and >= 0 ? i : 0,
            PoolSelection.Majority => AnswerSelection.Majority(answers),
            PoolSelection.Best => AnswerSelection.Best(answers, weights),
            // Confidence voting with no trace kept (none reported confidence) falls back to the plain vote.
            PoolSelection.Confidence => AnswerSelection.Weighted(answers, weights) ?? AnswerSelection.Majority(Pool.Select(k => Nodes[k].Answer).ToList()),
            _ => AnswerSelection.Weighted(answers, weights),
        };

        // When no candidate has an answer, the first one is still recorded as the run's pick.
        var key = Pool[chosen ?? 0];
        return new FinishRun(key, Nodes[key].Answer);
    }
}
