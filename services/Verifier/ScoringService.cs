using Platform.Contracts;
using Platform.Inference.Models;
using Platform.Inference.Runtime;

namespace Platform.Verifier;

/// <summary>Bound from the <c>Verifier</c> section.</summary>
public sealed class VerifierOptions
{
    public const string Section = "Verifier";
    /// <summary>Most solutions in one scoring pass (from any number of requests).</summary>
    public int MaxBatchRows { get; set; } = 256;

    /// <summary>Most characters (prompt + solution) in one scoring pass.</summary>
    public long MaxBatchTokens { get; set; } = 256L * 160;

    public int MaxCandidatesPerRequest { get; set; } = 4096;
}

/// <summary>Turns a <see cref="ScoreCandidates"/> command into verifier scoring passes shared with other requests.</summary>
public sealed class ScoringService : IAsyncDisposable
{
    private readonly ModelCatalog _catalog;
    private readonly VerifierOptions _options;
    private readonly ContinuousScorer _engine;

    public ScoringService(ModelCatalog catalog, VerifierOptions options)
    {
        _catalog = catalog;
        _options = options;
        _engine = new ContinuousScorer(catalog.Scorer, options.MaxBatchRows, options.MaxBatchTokens);
    }

    /// <summary>Scoring passes so far and mean solutions per pass.</summary>
    public long Passes => _engine.Passes;

    public double MeanRowsPerPass => _engine.Passes == 0 ? 0 : _engine.Rows / (double)_engine.Passes;

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

        var results = await _engine.Submit(command.Model, command.Candidates.Select(c => new ScoreRequest(command.Problem, c.Text, command.StepDelimiter)).ToList(), cancellationToken);
        // A candidate the verifier cannot read (longer than its context, a character it does not know) is left
        // unscored and the others are scored; only when none can be read does the request fail.
        if (results.All(r => r.Error is not null))
        {
            return Failed(results[0].Error!);
        }

        return new CandidatesScored
        {
            RequestId = command.RequestId, RunId = command.RunId, Round = command.Round, Kind = command.Kind,
            Scores = command.Candidates.Select((c, i) => new CandidateScores
            {
                Key = c.Key, StepScores = results[i].Error is null ? results[i].Scores : [], Error = results[i].Error is { } e ? $"not scored: {e}" : null,
            }).ToList(),
            Usage = results.Select(r => r.Usage).Total(command.Model),
        };
    }

    public ValueTask DisposeAsync() => _engine.DisposeAsync();
}
