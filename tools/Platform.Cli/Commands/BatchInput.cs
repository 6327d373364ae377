using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Platform.Contracts;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Reasoning.Ingestion;

namespace Platform.Cli.Commands;

/// <summary>The options shared by `ttc eval` and `ttc submit`, and reading the problem file.</summary>
public sealed class BatchInput
{
    public Argument<FileInfo> File { get; } = new("FILE") { Description = "JSONL problems: arithmetic, GSM8K or MATH-500" };
    public Option<string> Format { get; } = new("--format") { Description = "auto, arithmetic, gsm8k or math500", DefaultValueFactory = _ => "auto" };
    public Option<string?> Strategy { get; } = new("--strategy")
    {
        Description = "greedy, self-consistency, best-of-n, weighted-best-of-n, beam-search, lookahead, dvts, mcts, budget-forcing, compute-optimal, sequential-revisions (default: the Router's policy)",
    };
    public Option<int?> N { get; } = new("--n") { Description = "Samples per problem (1..1024)" };
    public Option<string?> Aggregation { get; } = new("--aggregation") { Description = "PRM step aggregation: last, min, prod, mean" };
    public Option<int?> Limit { get; } = new("--limit") { Description = "Use only the first K problems" };
    public Option<int?> Seed { get; } = new("--seed") { Description = "Sampling seed (default: from the batch id)" };
    public Option<string?> Generator { get; } = new("--generator") { Description = "Generator: a catalog name (default gen-small), or with ttc eval a model folder" };
    public Option<string?> Verifier { get; } = new("--verifier") { Description = "Verifier: a catalog name (default prm), or with ttc eval a model folder" };
    public Option<string?> Name { get; } = new("--name") { Description = "A name for the batch" };
    public Option<int?> BeamWidth { get; } = new("--beam-width") { Description = "Beam width M for beam-search, lookahead, dvts (default √N); branching of mcts" };
    public Option<int?> Lookahead { get; } = new("--lookahead") { Description = "k of lookahead search (default 1)" };
    public Option<int?> Iterations { get; } = new("--iterations") { Description = "MCTS iterations (default N / branching)" };
    public Option<long?> SearchTokenBudget { get; } = new("--search-token-budget") { Description = "mcts: stop once a run has generated this many tokens" };
    public Option<double?> TotalBudget { get; } = new("--total-budget") { Description = "compute-optimal: compute for the whole batch (--budget-unit), split across problems by the fitted policy" };
    public Option<double?> ProblemBudget { get; } = new("--budget") { Description = "compute-optimal: compute per problem on average (--budget-unit), split across difficulty bins by the fitted policy" };
    public Option<string> BudgetUnit { get; } = new("--budget-unit") { Description = "tokens (generated tokens; default) or flops (generator and verifier FLOPs)", DefaultValueFactory = _ => "tokens" };
    public Option<int?> Chains { get; } = new("--chains") { Description = "sequential-revisions: parallel chains P (N = P x L; default √N)" };
    public Option<int?> ChainLength { get; } = new("--chain-length") { Description = "sequential-revisions: attempts per chain L (the first sample, then L - 1 revisions)" };
    public Option<string?> RevisionSelection { get; } = new("--revision-selection") { Description = "sequential-revisions: 'verifier' (best of each chain, then weighted across chains; default) or 'majority' (over all attempts)" };
    public Option<string?> EarlyStop { get; } = new("--early-stop")
    {
        Description = "sample (sequential-revisions: start chains) in waves and stop once the answer is settled: 'on' or rule=weight|beta|esc,wave=1,weight=0.5,share=0.5,level=0.95,give-up-after=0,give-up-weight=0 (keys optional); for self-consistency, best-of-n, weighted-best-of-n, confidence-vote, deepconf, sequential-revisions",
    };
    public Option<string?> Confidence { get; } = new("--confidence")
    {
        Description = "confidence-vote, deepconf: measure=lowest-group|mean|bottom-10|tail,keep=90,window=2048,warmup=N/4,top-k=20 (keys optional)",
    };
    public Option<string?> ReviseModel { get; } = new("--revise-model") { Description = "sequential-revisions: revision model name (default gen-revise)" };
    public Option<string> Difficulty { get; } = new("--difficulty")
    {
        Description = "compute-optimal: 'predicted' (probes scored by the verifier; default) or 'oracle' (each problem's bin from --oracle-runs: quantiles of pass@1 over its samples there)",
        DefaultValueFactory = _ => "predicted",
    };
    public Option<FileInfo?> OracleRuns { get; } = new("--oracle-runs") { Description = "With --difficulty oracle: a ttc eval database with many samples of these problems (e.g. majority-64.db of a sweep)" };
    public Option<string?> MctsSelect { get; } = new("--mcts-select") { Description = "mcts: final answer by 'visits' (default) or 'value'" };
    public Option<int?> MinThinking { get; } = new("--min-thinking") { Description = "budget-forcing: minimum thinking tokens" };
    public Option<int?> MaxThinking { get; } = new("--max-thinking") { Description = "budget-forcing: maximum thinking tokens" };
    public Option<int?> MaxWaits { get; } = new("--max-waits") { Description = "budget-forcing: how often an early stop becomes the continuation" };
    public Option<string?> Priority { get; } = new("--priority") { Description = "interactive, batch (default) or sweep: the class the batch's runs are let out to the workers with, within the submitter's limit" };
    public Option<string> Submitter { get; } = new("--submitter") { Description = "Who submits (the fair share between submitters is by this name; default cli)", DefaultValueFactory = _ => Platform.Reasoning.Scheduling.SubmitterNames.Cli };
    public Option<string?> Continuation { get; } = new("--continuation") { Description = "budget-forcing: text appended instead of stopping (default \"Wait\")" };

    public void AddTo(Command command)
    {
        command.Arguments.Add(File);
        foreach (var o in new Option[] { Format, Strategy, N, Aggregation, Limit, Seed, Generator, Verifier, Name, BeamWidth, Lookahead, Iterations, SearchTokenBudget, TotalBudget, ProblemBudget, BudgetUnit, Chains, ChainLength, RevisionSelection, EarlyStop, Confidence, ReviseModel, Difficulty, OracleRuns, MctsSelect, MinThinking, MaxThinking, MaxWaits, Continuation, Priority, Submitter })
        {
            command.Options.Add(o);
        }
    }

    /// <summary>The batch to submit, under a new id; bad lines are reported on stderr with their number and skipped.</summary>
    public SubmitBatch? Read(ParseResult parse)
    {
        var file = parse.GetValue(File)!;
        if (!file.Exists)
        {
            Console.Error.WriteLine($"error: {file.FullName} does not exist");
            return null;
        }

        DatasetFormat format;
        try
        {
            format = ProblemLines.ParseFormat(parse.GetValue(Format)!);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: --format: {e.Message}");
            return null;
        }

        if (parse.GetValue(TotalBudget) is not null && parse.GetValue(ProblemBudget) is not null)
        {
            Console.Error.WriteLine("error: give --budget (per problem) or --total-budget (for the batch), not both");
            return null;
        }

        if (parse.GetValue(BudgetUnit) is not ("tokens" or "flops"))
        {
            Console.Error.WriteLine($"error: --budget-unit must be 'tokens' or 'flops' (was '{parse.GetValue(BudgetUnit)}')");
            return null;
        }

        if (parse.GetValue(MctsSelect) is { } select && select is not ("visits" or "value"))
        {
            Console.Error.WriteLine($"error: --mcts-select must be 'visits' or 'value' (was '{select}')");
            return null;
        }

        var (problems, errors, detected) = ProblemLines.Parse(System.IO.File.ReadLines(file.FullName), format);
        foreach (var error in errors)
        {
            Console.Error.WriteLine($"{file.Name}: {error} (skipped)");
        }

        var limit = parse.GetValue(Limit) ?? int.MaxValue;
        problems = problems.Take(limit).ToList();
        Dictionary<string, int>? known = null;
        if (parse.GetValue(Difficulty) == "oracle")
        {
            if (parse.GetValue(OracleRuns) is not { Exists: true } oracleRuns)
            {
                Console.Error.WriteLine("error: --difficulty oracle needs --oracle-runs FILE.db (a ttc eval database with many samples of these problems)");
                return null;
            }

            var rates = Platform.Operations.Sweeps.SweepRuns.LoadFile(oracleRuns.FullName, CancellationToken.None).GetAwaiter().GetResult().PassAt1();
            var missing = problems.Where(p => !rates.ContainsKey(p.Text)).ToList();
            if (missing.Count > 0)
            {
                Console.Error.WriteLine($"error: --oracle-runs: {missing.Count} problems have no samples in {oracleRuns.Name} (first: {missing[0].Text})");
                return null;
            }

            var texts = problems.Select(p => p.Text).Distinct().ToList();
            known = texts.Zip(Platform.Reasoning.Policy.DifficultyBins.Oracle([.. texts.Select(t => rates[t].Rate)])).ToDictionary(x => x.First, x => x.Second);
            Console.Error.WriteLine($"oracle difficulty: bins from pass@1 over {rates.Values.Min(v => v.Samples)}+ samples in {oracleRuns.Name}");
        }
        else if (parse.GetValue(Difficulty) != "predicted")
        {
            Console.Error.WriteLine($"error: --difficulty must be 'predicted' or 'oracle' (was '{parse.GetValue(Difficulty)}')");
            return null;
        }

        Console.Error.WriteLine($"{file.Name}: {Math.Min(limit, problems.Count)} problems ({detected}){(errors.Count > 0 ? $", {errors.Count} bad lines skipped" : "")}");
        return new SubmitBatch
        {
            BatchId = MassTransit.NewId.NextGuid(), Name = parse.GetValue(Name) ?? file.Name, Source = file.FullName,
            Problems = problems.Select(p => new ProblemSubmission
            {
                Text = p.Text, ReferenceAnswer = p.ReferenceAnswer, Level = p.Level, Subject = p.Subject, ExternalId = p.ExternalId,
                DifficultyBin = known?[p.Text],
            }).ToList(),
            Strategy = parse.GetValue(Strategy), N = parse.GetValue(N), Aggregation = parse.GetValue(Aggregation), Seed = parse.GetValue(Seed),
            GeneratorModel = parse.GetValue(Generator), VerifierModel = parse.GetValue(Verifier),
            BeamWidth = parse.GetValue(BeamWidth), Lookahead = parse.GetValue(Lookahead), Iterations = parse.GetValue(Iterations),
            SearchTokenBudget = parse.GetValue(SearchTokenBudget),
            Budget = parse.GetValue(TotalBudget) is { } total ? new ComputeBudget { Amount = total, Unit = parse.GetValue(BudgetUnit)!, Scope = ComputeBudgetScopes.Batch }
                : parse.GetValue(ProblemBudget) is { } each ? new ComputeBudget { Amount = each, Unit = parse.GetValue(BudgetUnit)!, Scope = ComputeBudgetScopes.Problem }
                : null,
            Chains = parse.GetValue(Chains), ChainLength = parse.GetValue(ChainLength), RevisionSelection = parse.GetValue(RevisionSelection),
            EarlyStop = parse.GetValue(EarlyStop), Confidence = parse.GetValue(Confidence), ReviseModel = parse.GetValue(ReviseModel),
            Priority = parse.GetValue(Priority), Submitter = parse.GetValue(Submitter),
            SelectByValue = parse.GetValue(MctsSelect) == "value" ? true : null,
            BudgetForcing = parse.GetValue(MinThinking) is null && parse.GetValue(MaxThinking) is null && parse.GetValue(MaxWaits) is null && parse.GetValue(Continuation) is null
                ? null
                : new BudgetForcingSettings
                {
                    MinThinkingTokens = parse.GetValue(MinThinking) ?? 0, MaxThinkingTokens = parse.GetValue(MaxThinking) ?? 96,
                    MaxWaits = parse.GetValue(MaxWaits) ?? 1, Continuation = parse.GetValue(Continuation) ?? "Wait",
                },
        };
    }
}

/// <summary>
/// Model folders named on the command line (<c>--generator ./exports/qwen2.5-1.5b</c>): in one process
/// (<c>ttc eval</c>) each becomes a catalog entry under its folder's name, with the <c>--recipe</c> file
/// for the generator; remote services (<c>ttc submit</c>) load only their own catalog, so there a folder
/// is refused with the setting that adds it.
/// </summary>
public static class ModelFolders
{
    /// <summary>Whether <paramref name="value"/> names a folder on disk rather than a catalog model.</summary>
    public static bool IsFolder(string? value) =>
        value is not null && (value.Contains('/') || value.Contains('\\') || value.StartsWith('.')) && Directory.Exists(value);

    /// <summary>The batch with folder paths replaced by catalog names, the catalog settings that define them added to <paramref name="settings"/>.</summary>
    public static SubmitBatch ToCatalog(SubmitBatch batch, FileInfo? recipe, Dictionary<string, string?> settings)
    {
        string? Name(string? value)
        {
            if (!IsFolder(value))
            {
                return value;
            }

            var full = Path.GetFullPath(value!);
            var name = new string(Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar)).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray()).Trim('.');
            settings[$"Models:Catalog:{name}"] = full;
            return name;
        }

        var result = batch with { GeneratorModel = Name(batch.GeneratorModel), VerifierModel = Name(batch.VerifierModel), ReviseModel = Name(batch.ReviseModel) };
        if (recipe is not null)
        {
            settings[$"Models:Recipes:{result.GeneratorModel ?? new Platform.Inference.Models.ModelsOptions().DefaultGenerator}"] = recipe.FullName;
            Platform.Inference.Models.Recipe.Load(recipe.FullName); // refused here, naming the field, before anything runs; the Router applies it
        }

        return result;
    }

    /// <summary>
    /// For a submission to the services: folder paths replaced by the names the services' catalog gives
    /// them (<c>Models:Catalog</c> and <c>Models:Directory</c> as this shell configures them, which must be
    /// the services' own); the error names the option and the setting when a folder is in no catalog.
    /// </summary>
    public static SubmitBatch ForServices(SubmitBatch batch, IConfiguration configuration, out string? error)
    {
        var models = configuration.GetSection(ModelsOptions.Section).Get<ModelsOptions>() ?? new ModelsOptions();
        using var catalog = TryCatalog(models);
        string? problem = null;
        string? Name(string option, string? value)
        {
            if (!IsFolder(value))
            {
                return value;
            }

            if (catalog?.NameOf(value!) is { } name)
            {
                return name;
            }

            problem ??= $"{option} {value}: the services load models from their catalog and no catalog entry here is this folder; add it to the services and to this shell (Models__Catalog__NAME={Path.GetFullPath(value!)}) or pass {option} NAME";
            return value;
        }

        var result = batch with
        {
            GeneratorModel = Name("--generator", batch.GeneratorModel), VerifierModel = Name("--verifier", batch.VerifierModel),
            ReviseModel = Name("--revise-model", batch.ReviseModel),
        };
        error = problem;
        return result;
    }

    private static ModelCatalog? TryCatalog(ModelsOptions models)
    {
        try
        {
            return new ModelCatalog(models, new InferenceOptions());
        }
        catch (DirectoryNotFoundException)
        {
            return null; // no models folder: only Models:Catalog entries could name the folder, and there are none
        }
    }
}
