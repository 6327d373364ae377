using Platform.Contracts;
using Platform.Inference.Models;
using Platform.Inference.Runtime;

namespace Platform.Verifier;

/// <summary>Bound from the <c>Verifier</c> section.</summary>
public sealed class VerifierOptions
{
    public const string Section = "Verifier";
    public int BatchWindowMilliseconds { get; set; } = 5;

    /// <summary>Most solutions scored in one call (the scorer splits them into forward batches).</summary>
    public int MaxBatchSolutions { get; set; } = 1024;

    public int MaxCandidatesPerRequest { get; set; } = 4096;
}

/// <summary>Turns a <see cref="ScoreCandidates"/> command into PRM scoring, batched with other requests.</summary>
public sealed class ScoringService : IAsyncDisposable
{
    private readonly ModelCatalog _catalog;
    private readonly VerifierOptions _options;
    private readonly BatchScheduler<ScoreRequest, StepScores> _scheduler;

    public ScoringService(ModelCatalog catalog, VerifierOptions options)
    {
        _catalog = catalog;
        _options = options;
        _scheduler = new BatchScheduler<ScoreRequest, StepScores>(
            (model, requests, ct) => catalog.Scorer(model).Score(requests, ct),
            _ => 1, TimeSpan.FromMilliseconds(options.BatchWindowMilliseconds), options.MaxBatchSolutions);
    }

    public async Task<CandidatesScored> Score(ScoreCandidates command, CancellationToken cancellationToken)
    {
        CandidatesScored Failed(string error) => new()
        {
            RequestId = command.RequestId, RunId = command.RunId, Round = command.Round, Kind = command.Kind, Error = error,
            Usage = new ComputeUsage { Model = command.Model },
        };

        if (command.Candidates.Count is < 1 || command.Candidates.Count > _options.MaxCandidatesPerRequest)
        {
            return Failed($"candidates must number between 1 and {_options.MaxCandidatesPerRequest} (was {command.Candidates.Count})");
        }

        PrmScorer scorer;
        try
        {
            scorer = _catalog.Scorer(command.Model);
        }
        catch (UnknownModelException e)
        {
            return Failed(e.Message);
        }

        var prompt = scorer.Model.Manifest.PromptTemplate.Replace("{problem}", command.Problem, StringComparison.Ordinal);
        var results = await _scheduler.Submit(command.Model, command.Candidates.Select(c => new ScoreRequest(prompt, c.Text)).ToList(), cancellationToken);
        if (results.FirstOrDefault(r => r.Error is not null) is { } bad)
        {
            return Failed(bad.Error!);
        }

        return new CandidatesScored
        {
            RequestId = command.RequestId, RunId = command.RunId, Round = command.Round, Kind = command.Kind,
            Scores = command.Candidates.Select((c, i) => new CandidateScores { Key = c.Key, StepScores = results[i].Scores }).ToList(),
            Usage = new ComputeUsage
            {
                Model = command.Model,
                ScoredTokens = results.Sum(r => r.Usage.ScoredTokens),
                Flops = results.Sum(r => r.Usage.Flops),
                DeviceMilliseconds = results.Sum(r => r.Usage.WallMilliseconds),
            },
        };
    }

    public ValueTask DisposeAsync() => _scheduler.DisposeAsync();
}
