using Platform.Contracts;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Reasoning.Controllers;

namespace Platform.Generator;

/// <summary>Bound from the <c>Generator</c> section.</summary>
public sealed class GeneratorOptions
{
    public const string Section = "Generator";

    /// <summary>Most rows (samples) decoded in one step; requests wait to join until rows free up.</summary>
    public int MaxBatchRows { get; set; } = 64;

    /// <summary>Most cache cells (rows x cache length) one batch may hold.</summary>
    public long MaxBatchCells { get; set; } = 512L * 160;

    /// <summary>Most samples one request may ask for (samples per prefix x prefixes).</summary>
    public int MaxSamplesPerRequest { get; set; } = 4096;

    /// <summary>
    /// Decode loops, each on its own thread with its own batches (MaxBatchRows and MaxBatchCells are per
    /// loop). 0 (the default): one per core up to 8 on the CPU, each running ONNX Runtime on one thread
    /// unless Inference:IntraOpThreads says otherwise; one on a GPU. See docs/decisions/0015.
    /// </summary>
    public int Engines { get; set; }
}

/// <summary>
/// Turns a <see cref="GenerateCandidates"/> command into runtime requests, which join the continuously
/// batched decoder with those of every other run in flight.
/// </summary>
public sealed class GenerationService : IAsyncDisposable
{
    private readonly Func<string, DecoderSession> _decoder;
    private readonly GeneratorOptions _options;
    private readonly ContinuousGenerator _engine;

    public GenerationService(ModelCatalog catalog, GeneratorOptions options, InferenceOptions inference)
    {
        _options = options;
        var (engines, threads) = ContinuousBatchLimits.Layout(options.Engines, inference, Environment.ProcessorCount);
        Engines = engines;
        _decoder = name => catalog.Decoder(name, threads);
        _engine = new ContinuousGenerator(_decoder, new ContinuousBatchLimits { MaxRows = options.MaxBatchRows, MaxCells = options.MaxBatchCells, Engines = engines });
    }

    /// <summary>Decode loops running.</summary>
    public int Engines { get; }

    /// <summary>Decode steps run so far, and the rows they held in all (RowSteps / Steps: how well concurrent runs share forward passes).</summary>
    public long Steps => _engine.Steps;

    public long RowSteps => _engine.RowSteps;

    /// <summary>Cache cells the decode steps read in all, and the steps' wall time summed over the loops.</summary>
    public long CellSteps => _engine.CellSteps;

    public TimeSpan DecodeTime => _engine.DecodeTime;

    public async Task<CandidatesGenerated> Generate(GenerateCandidates command, CancellationToken cancellationToken)
    {
        CandidatesGenerated Failed(string error) => new()
        {
            RequestId = command.RequestId, RunId = command.RunId, Round = command.Round, Kind = command.Kind, Error = error,
            Usage = new ComputeUsage { Model = command.Model ?? "" },
        };

        if (command.Prefixes is null || command.Problem is null || command.Model is null)
        {
            // A body of the right type but the wrong shape (published by hand, or by a broken client).
            return Failed("prefixes, problem and model are required");
        }

        var total = (long)command.SamplesPerPrefix * command.Prefixes.Count;
        if (command.Prefixes.Count == 0 || command.SamplesPerPrefix < 1 || total > _options.MaxSamplesPerRequest)
        {
            return Failed($"samples per prefix x prefixes must be between 1 and {_options.MaxSamplesPerRequest} (was {command.SamplesPerPrefix} x {command.Prefixes.Count})");
        }

        if (command.Mode is not ("full" or "step" or "revise"))
        {
            return Failed($"mode must be 'full', 'step' or 'revise' (was '{command.Mode}')");
        }

        if (command.RolloutSteps != 0 && command.Mode != "step")
        {
            return Failed($"rolloutSteps is for 'step' mode only (was {command.RolloutSteps} in '{command.Mode}' mode)");
        }

        DecoderSession session;
        try
        {
            session = _decoder(command.Model);
        }
        catch (UnknownModelException e)
        {
            return Failed(e.Message);
        }

        var manifest = session.Model.Manifest;
        string prompt;
        try
        {
            // A revision model reads the problem through its own recipe (RevisionPrompt), whatever form the first attempt's prompt had.
            prompt = command.Mode == "revise" ? session.Model.Prompt(command.Problem)
                : command.RawPrompt ? command.Problem
                : command.Conversation is { } turns ? session.Model.Prompt([.. turns.Select(t => (t.Role ?? "", t.Content ?? "")), ("user", command.Problem)])
                : session.Model.Prompt(command.Problem);
        }
        catch (ArgumentException e)
        {
            return Failed($"conversation: {e.Message}");
        }

        // A step ends at the recipe's delimiter; a whole solution at EOS or one of the recipe's stop strings.
        var stops = command.Mode == "step" ? [session.Model.Recipe.StepDelimiter] : session.Model.Recipe.StopStrings.ToArray();
        BudgetForcing? forcing = null;
        if (command.BudgetForcing is { } f)
        {
            if (manifest.EndOfThinking is not { Length: > 0 } marker)
            {
                return Failed($"model '{command.Model}' names no end-of-thinking marker (end_of_thinking in model.json), so it cannot be budget-forced");
            }

            var prefix = manifest.Answer.Prefix ?? "";
            forcing = new BudgetForcing
            {
                EndOfThinking = marker, MinThinkingTokens = f.MinThinkingTokens, MaxThinkingTokens = f.MaxThinkingTokens, MaxWaits = f.MaxWaits,
                Continuation = f.Continuation, AnswerPrefix = prefix.StartsWith(marker, StringComparison.Ordinal) ? prefix[marker.Length..] : "",
            };
        }

        List<string> prompts;
        try
        {
            prompts = command.Mode == "revise"
                ? command.Prefixes.Select(p => RevisionPrompt.Build(session, command.Problem, p.Attempts ?? [], command.Sampling.MaxNewTokens)).ToList()
                : command.Prefixes.Select(p => prompt + p.Text).ToList();
        }
        catch (ArgumentException e)
        {
            return Failed($"revise: {e.Message}");
        }

        var requests = command.Prefixes.Select((prefix, i) => new GenerationRequest
        {
            Prompt = prompts[i],
            SharedPrefix = command.Mode == "revise" ? prompt : "", // a run's chains share the problem's prompt: prefilled once
            KeepSamples = command.Mode == "step", // the next round extends these steps
            Samples = command.SamplesPerPrefix,
            StopStrings = stops,
            StopAfter = Math.Max(1, command.Steps),
            RolloutSteps = command.RolloutSteps,
            BudgetForcing = forcing,
            ConfidenceStop = command.ConfidenceStop is { } stop ? new ConfidenceThreshold(stop.Threshold, stop.Window) : null,
            Sampling = new SamplingOptions
            {
                Temperature = command.Sampling.Temperature, TopK = command.Sampling.TopK, TopP = command.Sampling.TopP,
                MaxNewTokens = command.Sampling.MaxNewTokens, Seed = unchecked((ulong)command.Sampling.Seed * 1_000_003UL + (ulong)i),
                TopLogProbs = command.Sampling.TopLogProbs,
            },
        }).ToList();

        var results = (await _engine.Submit(command.Model, requests, cancellationToken)).ToList();

        // A search prefix that has reached the model's context ends there, as a finished candidate the run may
        // still select (finish reason "context"); only a prompt with no prefix of its own fails the request.
        for (var i = 0; i < results.Count; i++)
        {
            if (results[i].ContextFull && command.Prefixes[i].Text.Length > 0 && command.Mode != "revise")
            {
                results[i] = new GenerationResult([.. Enumerable.Repeat(new GeneratedSequence([], "", FinishReasons.Context), command.SamplesPerPrefix)], new ComputeUsage());
            }
        }

        if (results.FirstOrDefault(r => r.Error is not null) is { } bad)
        {
            return Failed(bad.Error!);
        }

        var samples = new List<GeneratedSample>();
        for (var i = 0; i < results.Count; i++)
        {
            samples.AddRange(results[i].Samples.Select((s, k) =>
            {
                var reason = s.FinishReason == FinishReasons.Stop && command.Mode == "step" ? "step" : s.FinishReason;
                return new GeneratedSample
                {
                    PrefixKey = command.Prefixes[i].Key, SampleIndex = k, Text = s.Text, TokenCount = s.Tokens.Length - s.RolloutTokens, FinishReason = reason,
                    LogProbs = s.Confidences.Length > 0 ? Platform.Reasoning.Confidence.TokenLogProbs.Pack(s.LogProbs, s.Confidences) : null,
                    // A step that ended the solution has nothing to look ahead to: what the row wrote after it is not part of the candidate.
                    Rollout = command.RolloutSteps > 0 && !SearchNode.Ends(s.Text, reason) ? s.Rollout : null,
                };
            }));
        }

        return new CandidatesGenerated
        {
            RequestId = command.RequestId, RunId = command.RunId, Round = command.Round, Kind = command.Kind, Samples = samples,
            Usage = results.Select(r => r.Usage).Total(command.Model),
        };
    }

    public ValueTask DisposeAsync() => _engine.DisposeAsync();
}
