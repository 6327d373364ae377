using Platform.Reasoning.Arithmetic;
using Platform.Reasoning.Revisions;
using Platform.Reasoning.Selection;

namespace Platform.Reasoning.Controllers;

/// <summary>How sequential revisions pick the run's answer.</summary>
public enum RevisionSelection
{
    /// <summary>Hierarchical, as Snell et al.: the verifier's best attempt of each chain, then weighted best-of-N across the chains' picks.</summary>
    Verifier,

    /// <summary>Majority vote over every attempt of every chain (no verifier).</summary>
    Majority,
}

public static class RevisionSelections
{
    /// <summary>"verifier" (or none: the default) or "majority"; anything else is an error naming the setting.</summary>
    public static RevisionSelection Parse(string? name) => name switch
    {
        null or "" or "verifier" => RevisionSelection.Verifier,
        "majority" => RevisionSelection.Majority,
        _ => throw new ArgumentException($"revision selection must be 'verifier' or 'majority' (was '{name}')"),
    };
}

public sealed record RevisionSettings
{
    /// <summary>Parallel chains P.</summary>
    public int Chains { get; init; } = 1;

    /// <summary>Attempts per chain L (the first attempt, then L - 1 revisions); N = P x L.</summary>
    public int Length { get; init; } = 4;

    public double Temperature { get; init; } = Planning.DefaultPolicy.SamplingTemperature;

    /// <summary>Earlier attempts a revision sees (the Generator may keep fewer to fit the model's context).</summary>
    public int Window { get; init; } = RevisionFormat.DefaultMaxAttempts;

    public RevisionSelection Selection { get; init; } = RevisionSelection.Verifier;
    public StepAggregation Aggregation { get; init; } = StepAggregation.Last;

    /// <summary>Chains started in waves and stopped once the answer is settled (null: all P chains at once, to the end).</summary>
    public EarlyStop? Stop { get; init; }

    public void Validate()
    {
        if (Stop is not null)
        {
            Stop.Validate();
            if (Selection != RevisionSelection.Verifier)
            {
                throw new ArgumentException("early stopping weighs the verifier's scores: it needs revision selection 'verifier'");
            }
        }

        if (Chains < 1 || Length < 1)
        {
            throw new ArgumentException($"sequential revisions need at least one chain of at least one attempt (chains={Chains}, chain length={Length})");
        }

        if (Window < 1)
        {
            throw new ArgumentException($"the revision window must be at least 1 attempt (was {Window})");
        }

        if (Temperature < 0)
        {
            throw new ArgumentException($"temperature must be >= 0 (was {Temperature})");
        }
    }
}

/// <summary>
/// Sequential revisions (Snell et al. 2024, section 6): P chains run side by side; each starts from a
/// sample of the generator, and every following round asks the revision model for the next attempt of
/// every chain with the chain's last <see cref="RevisionSettings.Window"/> attempts in context. After L
/// attempts per chain, the attempts are scored (verifier selection) and one answer is picked: the best
/// of each chain, then weighted across chains — or a majority vote over all attempts. Attempts are nodes
/// whose parent is the attempt they revise (text: the attempt alone); the state is the chains' keys, so
/// a run resumes mid-chain like any other. With <see cref="RevisionSettings.Stop"/>, chains start in
/// waves and the run ends as soon as its answer is settled (<see cref="EarlyStop"/>).
/// </summary>
public sealed class SequentialRevisions : StrategyController
{
    public RevisionSettings Settings { get; set; } = new();

    /// <summary>Attempt keys of each chain, in order.</summary>
    public List<List<string>> Chains { get; set; } = [];

    /// <summary>Seeded candidates beyond the P that start chains: paid for already, they join the final pick as chains of one.</summary>
    public List<string> Extra { get; set; } = [];

    public static SequentialRevisions Create(RevisionSettings settings)
    {
        settings.Validate();
        return new SequentialRevisions { Settings = settings };
    }

    /// <summary>Seeded candidates (a probe's samples) become the first attempts of chains, up to P; the rest join the final pick.</summary>
    public override void Seed(IReadOnlyList<SearchNode> candidates, int nextId)
    {
        AddSeeds(candidates, nextId);
        var taken = Math.Max(0, Math.Min(candidates.Count, Settings.Chains - Chains.Count));
        Chains.AddRange(candidates.Take(taken).Select(c => new List<string> { c.Key }));
        Extra.AddRange(candidates.Skip(taken).Select(c => c.Key));
    }

    protected override ControllerRequest Begin()
    {
        NewCall();
        var missing = Settings.Chains - Chains.Count;
        if (Settings.Stop is { } stop)
        {
            // Seeded chains (scored probes) may settle the run at once; if not, they form the first wave.
            // Without seeds the first wave is sampled.
            if (Chains.Count == 0)
            {
                return new SampleSolutions(Math.Min(stop.Wave, missing), Settings.Temperature);
            }

            return Unscored().Count == 0 && stop.Settled(Weights(), FullChains(), LastWave(stop)) ? Pick() : Next();
        }

        return missing > 0 ? new SampleSolutions(missing, Settings.Temperature) : Next();
    }

    protected override ControllerRequest Generated(string kind, IReadOnlyList<Continuation> continuations)
    {
        NewCall();
        if (kind == RequestKinds.Generate)
        {
            foreach (var c in continuations.OrderBy(c => c.SampleIndex))
            {
                var node = Attempt(Nodes[""], c, Chains.Count);
                Nodes[""].Children.Add(node.Key);
                Chains.Add([node.Key]);
            }

            if (Chains.Count == 0)
            {
                return new FinishRun(null, null);
            }
        }
        else if (kind == RequestKinds.Revise)
        {
            var chainOf = Chains.Select((chain, i) => (chain[^1], i)).ToDictionary(x => x.Item1, x => x.i, StringComparer.Ordinal);
            foreach (var c in continuations.OrderBy(c => chainOf.GetValueOrDefault(c.NodeKey, int.MaxValue)))
            {
                if (!chainOf.TryGetValue(c.NodeKey, out var i))
                {
                    throw new InvalidOperationException($"a revision of '{c.NodeKey}', which ends no chain");
                }

                var previous = Nodes[c.NodeKey];
                var node = Attempt(previous, c, i);
                previous.Children.Add(node.Key);
                Chains[i].Add(node.Key);
            }
        }
        else
        {
            throw Unexpected(kind);
        }

        return Next();
    }

    protected override ControllerRequest ScoresArrived(IReadOnlyDictionary<string, IReadOnlyList<double>> scores)
    {
        NewCall();
        RecordScores(Unscored(), scores, Settings.Aggregation);

        return Next();
    }

    /// <summary>The next round: revise every chain still short of L attempts, else score, else (early stopping) the next wave, else pick.</summary>
    private ControllerRequest Next()
    {
        var open = Chains.Where(c => c.Count < Settings.Length).ToList();
        if (open.Count > 0)
        {
            return new ReviseChains(
                open.Select(c => (c[^1], (IReadOnlyList<string>)c.Skip(Math.Max(0, c.Count - Settings.Window)).Select(k => Nodes[k].Text).ToList())).ToList(),
                Settings.Temperature);
        }

        if (Settings.Selection == RevisionSelection.Verifier && Unscored().Count > 0)
        {
            return new ScoreTexts(Unscored().Select(k => (k, Nodes[k].Text)).ToList());
        }

        if (Settings.Stop is { } stop && Chains.Count < Settings.Chains && !stop.Settled(Weights(), FullChains(), LastWave(stop)))
        {
            return new SampleSolutions(Math.Min(stop.Wave, Settings.Chains - Chains.Count), Settings.Temperature);
        }

        return Pick();
    }

    /// <summary>The answers the last <see cref="EarlyStop.Wave"/> full chains picked (what the esc rule reads).</summary>
    private List<string?> LastWave(EarlyStop stop) =>
        Picks(Chains.Where(c => c.Count >= Settings.Length).TakeLast(stop.Wave).ToList()).Select(k => Nodes[k].Answer).ToList();

    /// <summary>Chains that have all their attempts (a seeded probe alone is not one yet, so it never counts towards giving up).</summary>
    private int FullChains() => Chains.Count(c => c.Count >= Settings.Length);

    /// <summary>Each chain's (and extra seed's) best attempt, as the final pick weighs them: the verifier weight behind each answer.</summary>
    private IReadOnlyCollection<double> Weights()
    {
        var picks = Picks(Groups());
        return AnswerSelection.Totals(picks.Select(k => Nodes[k].Answer).ToList(), picks.Select(k => Nodes[k].Score ?? 0).ToList());
    }

    private List<string> Picks(List<List<string>> groups) =>
        groups.Select(c => c.MaxBy(k => Nodes[k].Answer is null ? double.NegativeInfinity : Nodes[k].Score ?? 0)!).ToList();

    /// <summary>The final pick's groups: every chain, and every extra seeded candidate on its own.</summary>
    private List<List<string>> Groups() => [.. Chains, .. Extra.Select(k => new List<string> { k })];

    private List<string> Unscored() => Groups().SelectMany(c => c).Where(k => Nodes[k].Score is null).ToList();

    private FinishRun Pick()
    {
        var groups = Groups();
        var all = groups.SelectMany(c => c).ToList();
        if (all.Count == 0)
        {
            return new FinishRun(null, null);
        }

        string key;
        if (Settings.Selection == RevisionSelection.Majority)
        {
            // The latest attempt with the winning answer stands for it.
            var chosen = AnswerSelection.Majority(all.Select(k => Nodes[k].Answer).ToList());
            var answer = chosen is { } i ? Nodes[all[i]].Answer : null;
            key = answer is null ? all[^1] : all.Last(k => Nodes[k].Answer == answer);
        }
        else
        {
            // Within each chain the verifier's best attempt, then weighted best-of-N across the chains.
            var picks = Picks(groups);
            var chosen = AnswerSelection.Weighted(picks.Select(k => Nodes[k].Answer).ToList(), picks.Select(k => Nodes[k].Score ?? 0).ToList());
            key = picks[chosen ?? 0];
        }

        return new FinishRun(key, Nodes[key].Answer);
    }

    /// <summary>An attempt: its own whole text (not its parent's), linked to the attempt it revises.</summary>
    private SearchNode Attempt(SearchNode parent, Continuation c, int chain)
    {
        var node = new SearchNode
        {
            Key = $"n{NextId++}", Parent = parent.Key, Text = c.Text, Depth = ArithmeticFormat.SplitSteps(c.Text).Count, Tokens = c.Tokens,
            Finish = c.FinishReason, Terminal = true, Group = chain, Answer = Answers.AnswerExtractor.Extract(c.Text),
        };
        Nodes[node.Key] = node;
        Created.Add(node.Key);
        return node;
    }
}
