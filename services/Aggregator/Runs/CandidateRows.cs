using Microsoft.EntityFrameworkCore;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Policy;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Aggregator.Runs;

/// <summary>
/// What the controllers of one batch of replies reported, as rows: the candidates earlier rounds stored
/// and these replies score or select (read in one query for all runs), the new candidates and the step
/// scores (inserted by COPY in one round trip each).
/// </summary>
public sealed class CandidateRows
{
    private readonly Dictionary<(Guid RunId, string Key), Candidate> _stored;
    private readonly List<Candidate> _fresh = [];
    private readonly List<StepScore> _stepScores = [];

    private CandidateRows(Dictionary<(Guid, string), Candidate> stored) => _stored = stored;

    /// <summary>Reads the stored candidates that the controllers updated or selected but did not create in this call.</summary>
    public static async Task<CandidateRows> ForSteps(PlatformDbContext db, IReadOnlyList<(Run Run, StrategyController Controller, ControllerRequest Next)> steps, CancellationToken ct)
    {
        var wanted = steps.SelectMany(x => x.Controller.Updated.Where(k => !x.Controller.Created.Contains(k))
            .Concat(x.Next is FinishRun { Node: { } node } && !x.Controller.Created.Contains(node) ? [node] : [])
            .Select(k => (x.Run.Id, k))).ToHashSet();
        if (wanted.Count == 0)
        {
            return new CandidateRows([]);
        }

        var wantedRuns = wanted.Select(w => w.Id).Distinct().ToList();
        var wantedKeys = wanted.Select(w => w.k).Distinct().ToList();
        var stored = (await db.Candidates.Where(c => wantedRuns.Contains(c.RunId) && wantedKeys.Contains(c.Key)).ToListAsync(ct))
            .Where(c => wanted.Contains((c.RunId, c.Key))).ToDictionary(c => (c.RunId, c.Key));
        return new CandidateRows(stored);
    }

    /// <summary>A candidate of the run by key: created in this call (<paramref name="added"/>) or stored before.</summary>
    public Candidate? Find(Run run, string key, IReadOnlyDictionary<string, Candidate> added) =>
        added.GetValueOrDefault(key) ?? _stored.GetValueOrDefault((run.Id, key));

    /// <summary>What a controller's last call created and scored, as rows: new candidates, scores of stored ones, step scores. Returns the new candidates by key.</summary>
    public Dictionary<string, Candidate> Record(Run run, StrategyController controller, int round, string model)
    {
        if (controller.PredictedDifficulty is { } predicted && run.DifficultySource != DifficultySources.Predicted)
        {
            // The run's own compute (a composed controller's probes) has told how hard the problem is: the run records that estimate.
            run.DifficultyBin = predicted.Bin;
            run.DifficultyScore = predicted.Score;
            run.DifficultySource = DifficultySources.Predicted;
        }

        var nodes = controller.Nodes;
        var added = new Dictionary<string, Candidate>(StringComparer.Ordinal);
        foreach (var key in controller.Created)
        {
            var n = nodes[key];
            var candidate = new Candidate
            {
                Id = Guid.NewGuid(), RunId = run.Id, Key = n.Key, ParentKey = string.IsNullOrEmpty(n.Parent) ? null : n.Parent, Round = round, Text = n.Text,
                StepCount = n.Depth, TokenCount = n.Tokens, FinishReason = n.Finish, ExtractedAnswer = n.Answer,
                ConfidenceMean = n.Confidence?.Mean, ConfidenceLowestGroup = n.Confidence?.LowestGroup, ConfidenceBottom10 = n.Confidence?.Bottom10,
                ConfidenceTail = n.Confidence?.Tail, TokenLogProbs = n.LogProbs,
            };
            added[key] = candidate;
            _fresh.Add(candidate);
        }

        foreach (var key in controller.Updated)
        {
            if (Find(run, key, added) is not { } candidate)
            {
                continue;
            }

            var node = nodes[key];
            candidate.Score = node.Score;
            _stepScores.AddRange(node.StepScores.Select((score, i) => new StepScore
            {
                Id = Guid.NewGuid(), CandidateId = candidate.Id, StepIndex = i, Score = score, Model = model,
            }));
        }

        return added;
    }

    /// <summary>The new rows, inside the open transaction.</summary>
    public async Task Insert(PlatformDbContext db, CancellationToken ct)
    {
        await db.InsertManyAsync(_fresh, ct);
        await db.InsertManyAsync(_stepScores, ct);
    }
}
