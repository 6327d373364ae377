using System.Text;
using Platform.Contracts;
using Platform.Reasoning.Confidence;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Selection;

namespace Platform.Reasoning.Planning;

/// <summary>The limits a deployment sets on a batch, and the settings that set them (named in the errors).</summary>
public sealed record BatchLimits(int MaxProblems, int MaxNewTokens, string MaxProblemsSetting = "Router:MaxProblemsPerBatch", string MaxNewTokensSetting = "Router:MaxNewTokensLimit");

/// <summary>
/// The one home of a batch's settings rules: what a <see cref="SubmitBatch"/> may ask for (strategy, N, sampling,
/// search and revision settings, early stopping, confidence, budgets), each error naming the field as the
/// contract names it and the limit. Pure: the Router adds what needs its state (models, the fitted policy,
/// priorities) and plans only what passed here; the Aggregator trusts the plans it is given.
/// </summary>
public static class BatchRules
{
    /// <summary>The first rule the batch breaks, as (field, reason); null when its settings are valid.</summary>
    public static (string Field, string Reason)? Validate(this SubmitBatch s, BatchLimits limits)
    {
        static (string Field, string Reason)? R(string field, string reason) => (field, reason);
        if (s.BatchId == Guid.Empty)
        {
            return R("BatchId", "a batch needs a non-empty id");
        }

        if (s.Problems.Count == 0)
        {
            return R("Problems", "the batch has no problems");
        }

        var total = s.TotalProblems ?? s.Problems.Count;
        if (total > limits.MaxProblems)
        {
            return R("Problems", $"the batch has {total} problems; the limit is {limits.MaxProblems} ({limits.MaxProblemsSetting})");
        }

        if (Strategies.Check(s.Strategy) is { } strategy)
        {
            return R("Strategy", strategy);
        }

        if (s.N is { } n && (n < 1 || n > DefaultPolicy.MaxN))
        {
            return R("N", $"N must be between 1 and {DefaultPolicy.MaxN} (was {n})");
        }

        if (s.Budget is { } b && (!(b.Amount >= 1) || double.IsInfinity(b.Amount) || b.Unit is not (ComputeBudgetUnits.Tokens or ComputeBudgetUnits.Flops)
            || b.Scope is not (ComputeBudgetScopes.Batch or ComputeBudgetScopes.Problem)))
        {
            return R("Budget", $"a budget needs an amount >= 1, unit 'tokens' or 'flops' and scope 'batch' or 'problem' (was {b.Amount} {b.Unit} per {b.Scope})");
        }

        if (s.Temperature is { } t && !(t is >= 0 and <= 2))
        {
            return R("Temperature", $"temperature must be between 0 and 2 (was {t})");
        }

        if (s.TopP is { } topP && !(topP is > 0 and <= 1))
        {
            return R("TopP", $"topP must be greater than 0 and at most 1 (was {topP})");
        }

        if (s.MaxNewTokens is { } tokens && (tokens < 1 || tokens > limits.MaxNewTokens))
        {
            return R("MaxNewTokens", $"maxNewTokens must be between 1 and {limits.MaxNewTokens} (was {tokens}; {limits.MaxNewTokensSetting})");
        }

        if (s.TokenBudget is not null && s.Budget is not null)
        {
            return R("Budget", "give either tokenBudget or budget, not both");
        }

        if (s.TokenBudget is < 1)
        {
            return R("TokenBudget", $"the token budget must be at least 1 (was {s.TokenBudget})");
        }

        if (s.Aggregation is { } aggregation)
        {
            try
            {
                StepAggregations.Parse(aggregation);
            }
            catch (ArgumentException e)
            {
                return R("Aggregation", e.Message);
            }
        }

        if (s.BeamWidth is { } m && (m < 1 || m > (s.N ?? DefaultPolicy.DefaultN) || (s.N ?? DefaultPolicy.DefaultN) % m != 0))
        {
            return R("BeamWidth", $"the beam width must be between 1 and N and divide N (N={s.N ?? DefaultPolicy.DefaultN}, beam width={m})");
        }

        if ((RevisionError(s) ?? WaveError(s)) is { } revision)
        {
            return R(revision.Field, revision.Reason);
        }

        if (s.BudgetForcing is { } f && (f.MinThinkingTokens < 0 || f.MaxThinkingTokens < Math.Max(1, f.MinThinkingTokens) || f.MaxWaits is < 0 or > 64))
        {
            return R("BudgetForcing", $"need 0 <= min <= max thinking tokens, max >= 1 and 0..64 waits (min={f.MinThinkingTokens}, max={f.MaxThinkingTokens}, waits={f.MaxWaits})");
        }

        if (s.Lookahead is { } k && (k < 0 || k > 16))
        {
            return R("Lookahead", $"lookahead must be between 0 and 16 steps (was {k})");
        }

        if (s.SearchTokenBudget is < 1)
        {
            return R("SearchTokenBudget", $"the search token budget must be at least 1 (was {s.SearchTokenBudget})");
        }

        if (s.Iterations is { } iterations && (iterations < 1 || iterations > 10_000))
        {
            return R("Iterations", $"iterations must be between 1 and 10000 (was {iterations})");
        }

        if (s.GeneratorModel is { Length: 0 } || s.VerifierModel is { Length: 0 })
        {
            return R(s.GeneratorModel is { Length: 0 } ? "GeneratorModel" : "VerifierModel", "a model name cannot be empty");
        }

        return null;
    }

    /// <summary>Chains, chain length and selection of sequential revisions: N = P x L, and only with that strategy.</summary>
    private static (string Field, string Reason)? RevisionError(SubmitBatch s)
    {
        if (s.Strategy != Strategies.SequentialRevisions)
        {
            return s.Chains is not null || s.ChainLength is not null || s.RevisionSelection is not null || (s.ReviseModel is not null && s.Strategy is not (null or Strategies.ComputeOptimal))
                ? ("Strategy", "chains, chain length, revision selection and revise model belong to strategy sequential-revisions")
                : null;
        }

        var n = s.N ?? DefaultPolicy.DefaultN;
        if (s.Chains is < 1 || s.ChainLength is < 1)
        {
            return (s.Chains is < 1 ? "Chains" : "ChainLength", $"chains and chain length must be at least 1 (chains={s.Chains}, chain length={s.ChainLength})");
        }

        var (p, l) = ControllerRegistry.ChainShape(n, s.Chains ?? 0, s.ChainLength ?? 0);
        if (p * l != n)
        {
            return (s.Chains is not null ? "Chains" : "ChainLength", $"chains x chain length must equal N (N={n}, chains={p}, chain length={l})");
        }

        if (SpecError("RevisionSelection", () => RevisionSelections.Parse(s.RevisionSelection)) is { } selection)
        {
            return selection;
        }

        if (s.EarlyStop is { } stop && SpecError("EarlyStop", () => new RevisionSettings
            {
                Chains = p, Length = l, Selection = RevisionSelections.Parse(s.RevisionSelection),
                Stop = EarlyStop.Parse(stop),
            }.Validate()) is { } early)
        {
            return early;
        }

        return s.ReviseModel is { Length: 0 } ? ("ReviseModel", "a model name cannot be empty") : null;
    }

    /// <summary>Early stopping (strategies that sample in waves) and confidence settings (strategies that vote by confidence): only where they apply, and well formed.</summary>
    private static (string Field, string Reason)? WaveError(SubmitBatch s)
    {
        var was = $"(was {s.Strategy ?? "none named"})";
        if (s.EarlyStop is { } stop)
        {
            if (!Strategies.StopsEarly(s.Strategy))
            {
                return ("EarlyStop", $"early stop applies to strategies {string.Join(", ", Strategies.EarlyStopping)} {was}");
            }

            if (SpecError("EarlyStop", () => EarlyStop.Parse(stop)) is { } error)
            {
                return error;
            }
        }

        if (s.Confidence is { } confidence)
        {
            return Strategies.UsesConfidence(s.Strategy)
                ? SpecError("Confidence", () => ConfidenceSettings.Parse(confidence))
                : ("Confidence", $"confidence settings apply to strategies {Strategies.ConfidenceVote} and {Strategies.DeepConf} {was}");
        }

        return null;
    }

    /// <summary>A setting that does not read or does not validate, as the field's error.</summary>
    private static (string Field, string Reason)? SpecError(string field, Action parse)
    {
        try
        {
            parse();
            return null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return (field, e.Message);
        }
    }

    /// <summary>The batch-level text fields, named as the contract names them.</summary>
    public static IEnumerable<(string Field, string? Value)> Texts(this SubmitBatch s) =>
    [
        ("Name", s.Name), ("Source", s.Source), ("Strategy", s.Strategy), ("Aggregation", s.Aggregation), ("RevisionSelection", s.RevisionSelection),
        ("EarlyStop", s.EarlyStop), ("Confidence", s.Confidence), ("ReviseModel", s.ReviseModel), ("GeneratorModel", s.GeneratorModel), ("VerifierModel", s.VerifierModel),
        ("Priority", s.Priority), ("Submitter", s.Submitter),
    ];

    /// <summary>A problem's text fields, named as the contract names them.</summary>
    public static IEnumerable<(string Field, string? Value)> Texts(this ProblemSubmission p) =>
    [
        ("Text", p.Text), ("ReferenceAnswer", p.ReferenceAnswer), ("Level", p.Level), ("Subject", p.Subject), ("ExternalId", p.ExternalId),
        .. (p.Conversation ?? []).SelectMany((m, i) => new[] { ($"Conversation[{i}].Role", m?.Role), ($"Conversation[{i}].Content", m?.Content) }),
    ];

    /// <summary>
    /// Why a problem cannot run (an unstorable field, a bad conversation, an empty or over-long text) as "Field: reason";
    /// null when it can. <paramref name="chatTemplate"/>: whether the generator renders chats with a template (null: unknown).
    /// </summary>
    public static string? Problem(this ProblemSubmission? p, string model, bool? chatTemplate, int maxTextBytes)
    {
        if (p is null)
        {
            return "Problem: missing (null in the problem list)";
        }

        if (StorableText.Problems(p.Texts()).FirstOrDefault() is { Field: not null } bad)
        {
            return $"{bad.Field}: {bad.Reason}";
        }

        // (An unknown generator is the batch's error, named by Validate.)
        if (p.Conversation is { } turns && chatTemplate is { } template)
        {
            // The whole chat: the turns before, then the text as the last user turn (errors name its messages[i]).
            if (Platform.Reasoning.Prompts.Conversation.Problem([.. turns.Select(t => (t?.Role, t?.Content)), ("user", p.Text)], template, model) is { } turn)
            {
                return $"{turn.Field}: {turn.Reason}";
            }
        }

        var text = p.Text ?? "";
        if (string.IsNullOrWhiteSpace(text))
        {
            return "Text: the problem text is empty";
        }

        // The limit is on what the generator reads: the problem text, or the whole conversation.
        var bytes = Encoding.UTF8.GetByteCount(text) + (p.Conversation ?? []).Sum(m => Encoding.UTF8.GetByteCount(m.Content));
        return bytes > maxTextBytes
            ? $"{(p.Conversation is null ? "Text: the problem text" : "Messages: the conversation")} is {bytes} bytes; the limit is {maxTextBytes} (Router:MaxProblemTextBytes)"
            : null;
    }
}
