using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Reasoning.Selection;

namespace Platform.Cli.Commands;

/// <summary>
/// <c>ttc score FILE</c>: scores given solutions with a verifier, in this process. Each JSONL line holds
/// <c>problem</c> and <c>solution</c>; it is written back with <c>step_scores</c> (one per step line, in
/// order) and <c>score</c> (one per aggregation). Models load from the same catalog, with the same errors,
/// as in the Verifier service; a bad line gets an <c>error</c> and the rest are scored.
/// </summary>
public static class ScoreCommand
{
    private const int Chunk = 256;
    private static readonly JsonSerializerOptions Output = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "JSONL with problem and solution per line" };
        var verifier = new Option<string>("--verifier") { Description = "Verifier: a model name (prm, orm, a catalog name) or a model folder (a public reward-model family, docs/models.md)", DefaultValueFactory = _ => "prm" };
        var delimiter = new Option<string?>("--step-delimiter") { Description = "What ends a step in the solutions (default: the verifier's own; a line's \"step_delimiter\" wins)" };
        var models = new Option<DirectoryInfo?>("--models") { Description = "Folder of model folders (default: the repository's models/)" };
        var output = new Option<FileInfo?>("--out") { Description = "Write here instead of standard output" };
        var command = new Command("score", "Score solutions step by step with a verifier (PRM or ORM)");
        command.Arguments.Add(file);
        command.Options.Add(verifier);
        command.Options.Add(models);
        command.Options.Add(delimiter);
        command.Options.Add(output);
        command.SetAction(parse =>
        {
            var input = parse.GetValue(file)!;
            if (!input.Exists)
            {
                Console.Error.WriteLine($"error: {input.FullName} does not exist");
                return 2;
            }

            PrmScorer scorer;
            using var catalog = new ModelCatalog(new ModelsOptions { Directory = parse.GetValue(models)?.FullName }, new InferenceOptions());
            try
            {
                var name = parse.GetValue(verifier)!;
                scorer = ModelFolders.IsFolder(name) ? PrmScorer.Open(ModelDirectory.Load(name), new InferenceOptions()) : catalog.Scorer(name);
            }
            catch (Exception e) when (e is UnknownModelException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            using var writer = parse.GetValue(output) is { } o ? new StreamWriter(o.FullName) : new StreamWriter(Console.OpenStandardOutput());
            using var owned = ModelFolders.IsFolder(parse.GetValue(verifier)) ? scorer : null; // a catalog's scorers are the catalog's to close
            var bad = Run(scorer, File.ReadLines(input.FullName), writer, (line, reason) => Console.Error.WriteLine($"{input.Name}: line {line}: {reason}"), parse.GetValue(delimiter));
            return bad == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>Scores every line; returns how many lines could not be scored.</summary>
    public static int Run(PrmScorer scorer, IEnumerable<string> lines, TextWriter writer, Action<int, string> report, string? stepDelimiter = null)
    {
        var bad = 0;
        var number = 0;
        var pending = new List<(int Line, JsonObject Node, ScoreRequest? Request)>();
        void Flush()
        {
            var requests = pending.Where(p => p.Request is not null).ToList();
            var results = scorer.Score(requests.Select(p => p.Request!).ToList());
            var next = 0;
            foreach (var (line, node, request) in pending)
            {
                if (request is not null)
                {
                    var r = results[next++];
                    if (r.Error is { } error)
                    {
                        node["error"] = error;
                        report(line, error);
                        bad++;
                    }
                    else
                    {
                        node["step_scores"] = new JsonArray(r.Scores.Select(s => (JsonNode)Math.Round(s, 6)).ToArray());
                        var score = new JsonObject();
                        foreach (var a in Enum.GetValues<StepAggregation>())
                        {
                            score[a.Name()] = Math.Round(a.Aggregate(r.Scores), 6);
                        }

                        node["score"] = score;
                    }
                }

                writer.WriteLine(node.ToJsonString(Output));
            }

            pending.Clear();
        }

        foreach (var text in lines)
        {
            number++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            JsonObject node;
            try
            {
                node = JsonNode.Parse(text) as JsonObject ?? throw new JsonException("the line is not a JSON object");
            }
            catch (JsonException e)
            {
                report(number, e.Message);
                bad++;
                pending.Add((number, new JsonObject { ["line"] = number, ["error"] = e.Message }, null));
                continue;
            }

            var problem = Text(node, "problem");
            var solution = Text(node, "solution");
            if (problem is null || solution is null)
            {
                var error = $"'{(problem is null ? "problem" : "solution")}' must be a non-empty string";
                node["error"] = error;
                report(number, error);
                bad++;
                pending.Add((number, node, null));
            }
            else
            {
                pending.Add((number, node, new ScoreRequest(problem, solution, Text(node, "step_delimiter") ?? stepDelimiter)));
            }

            if (pending.Count >= Chunk)
            {
                Flush();
            }
        }

        Flush();
        writer.Flush();
        return bad;
    }

    private static string? Text(JsonObject node, string name) =>
        node[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
}
