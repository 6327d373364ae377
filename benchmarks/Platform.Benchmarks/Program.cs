using System.CommandLine;
using Platform.Benchmarks;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;

var model = new Option<string[]>("--model") { Description = "Model folders", DefaultValueFactory = _ => ["models/gen-small"], AllowMultipleArgumentsPerToken = true };
var samples = new Option<int>("--samples") { DefaultValueFactory = _ => 16 };
var problem = new Option<string>("--problem") { DefaultValueFactory = _ => "(122+713-406)*2+132-(47-12)" };
var temperature = new Option<double>("--temperature") { DefaultValueFactory = _ => 0.8 };
var maxTokens = new Option<int>("--max-new-tokens") { DefaultValueFactory = _ => 96 };
var repeats = new Option<int>("--repeats") { DefaultValueFactory = _ => 5 };
var matmul = new Option<int>("--matmul-size") { DefaultValueFactory = _ => 1024 };
var spinning = new Option<bool>("--allow-spinning") { Description = "Let ONNX Runtime's idle threads spin (Inference:AllowSpinning)" };
var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (Inference:IntraOpThreads; 0 = one per core)" };

Command NewCommand(string name, string description, params Option[] options)
{
    var command = new Command(name, description);
    foreach (var o in options)
    {
        command.Options.Add(o);
    }

    return command;
}

InferenceOptions Inference(ParseResult parse) => new() { AllowSpinning = parse.GetValue(spinning), IntraOpThreads = parse.GetValue(threads) };

var generation = NewCommand("generation", "Tokens/s for N samples of one prompt: no cache, cache one at a time, batched shared prefix; and the MatMul peak",
    model, samples, problem, temperature, maxTokens, repeats, matmul, spinning, threads);

generation.SetAction(parse =>
{
    var options = Inference(parse);
    Console.WriteLine($"machine: {Machine.Describe()}");
    Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; ONNX Runtime CPU, {(options.IntraOpThreads == 0 ? "default threads" : $"{options.IntraOpThreads} intra-op threads")}, spinning {(options.AllowSpinning ? "on" : "off")}");
    var peak = MatMulPeak.GigaflopsPerSecond(parse.GetValue(matmul), 10, options);
    Console.WriteLine($"MatMul peak ({parse.GetValue(matmul)}^3, ONNX Runtime, best of 10): {peak:F1} GFLOP/s");
    foreach (var path in parse.GetValue(model)!)
    {
        using var session = DecoderSession.Open(ModelDirectory.Load(path), options);
        var results = GenerationBenchmark.Run(session, session.Model.Prompt(parse.GetValue(problem)!), parse.GetValue(samples),
            parse.GetValue(temperature), parse.GetValue(maxTokens), parse.GetValue(repeats));
        Console.WriteLine();
        Console.WriteLine(GenerationBenchmark.Markdown(session.Model.Name, results, peak));
    }

    return 0;
});

var file = new Option<string>("--file") { Description = "Problems (JSONL)", DefaultValueFactory = _ => "data/arith/heldout.jsonl" };
var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 200 };
var maxRows = new Option<int>("--max-rows") { Description = "Rows decoded together (Generator:MaxBatchRows)", DefaultValueFactory = _ => 64 };
var maxCells = new Option<long>("--max-cells") { Description = "Cache cells one batch may hold (Generator:MaxBatchCells)", DefaultValueFactory = _ => 512L * 160 };
var engines = new Option<int>("--engines") { Description = "Decode loops (Generator:Engines), each with its own thread and batches", DefaultValueFactory = _ => 1 };
List<string> Problems(ParseResult parse) =>
    [.. Platform.Reasoning.Ingestion.ProblemLines.Parse(File.ReadLines(parse.GetValue(file)!)).Problems.Take(parse.GetValue(limit)).Select(r => r.Text)];

var continuous = NewCommand("continuous", "Tokens/s of the Generator's continuous-batching engine alone on many prompts (N samples each), all submitted at once",
    model, samples, file, limit, temperature, maxTokens, repeats, maxRows, maxCells, spinning, threads, engines);

continuous.SetAction(async parse =>
{
    var options = Inference(parse);
    var problems = Problems(parse);
    Console.WriteLine($"machine: {Machine.Describe()}");
    Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; ONNX Runtime CPU, spinning {(options.AllowSpinning ? "on" : "off")}; {problems.Count} prompts x {parse.GetValue(samples)} samples, {parse.GetValue(engines)} decode loop(s), {(options.IntraOpThreads == 0 ? "default" : options.IntraOpThreads.ToString(System.Globalization.CultureInfo.InvariantCulture))} intra-op threads");
    foreach (var path in parse.GetValue(model)!)
    {
        using var session = DecoderSession.Open(ModelDirectory.Load(path), options);
        var limits = new ContinuousBatchLimits { MaxRows = parse.GetValue(maxRows), MaxCells = parse.GetValue(maxCells), Engines = parse.GetValue(engines) };
        Console.WriteLine("| model | run | generated tokens | seconds | tokens/s | mean rows per step | steps |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        for (var r = 0; r <= parse.GetValue(repeats); r++)
        {
            var result = await ContinuousBenchmark.Run(session, problems, parse.GetValue(samples), parse.GetValue(temperature), parse.GetValue(maxTokens), limits);
            Console.WriteLine(FormattableString.Invariant(
                $"| {session.Model.Name} | {(r == 0 ? "warm-up" : r.ToString(System.Globalization.CultureInfo.InvariantCulture))} | {result.Tokens} | {result.Seconds:F2} | {result.TokensPerSecond:F0} | {result.MeanRows:F1} | {result.Steps} |"));
        }
    }

    return 0;
});

var scorerModel = new Option<string>("--scorer") { Description = "Verifier model folder", DefaultValueFactory = _ => "models/prm" };
var scoreRows = new Option<int>("--max-rows") { Description = "Solutions in one scoring pass (Verifier:MaxBatchRows)", DefaultValueFactory = _ => 256 };
var scoreTokens = new Option<long>("--max-tokens") { Description = "Characters in one scoring pass (Verifier:MaxBatchTokens)", DefaultValueFactory = _ => 256L * 160 };
// The generator's N solutions of every problem, each problem's one request (generated once, not timed).
async Task<IReadOnlyList<IReadOnlyList<ScoreRequest>>> Solutions(ParseResult parse, IReadOnlyList<string> problems, InferenceOptions options)
{
    using var generator = DecoderSession.Open(ModelDirectory.Load(parse.GetValue(model)![0]), options);
    return await ScoringBenchmark.Solutions(generator, problems, parse.GetValue(samples), parse.GetValue(temperature), parse.GetValue(maxTokens));
}

var scoring = NewCommand("scoring", "Scored tokens/s of the Verifier's engine alone: N sampled solutions of many prompts, every prompt one request, all submitted at once",
    model, scorerModel, samples, file, limit, temperature, maxTokens, repeats, scoreRows, scoreTokens, spinning, threads);

scoring.SetAction(async parse =>
{
    var options = Inference(parse);
    var problems = Problems(parse);
    var requests = await Solutions(parse, problems, options);

    using var scorer = PrmScorer.Open(ModelDirectory.Load(parse.GetValue(scorerModel)!), options);
    Console.WriteLine($"machine: {Machine.Describe()}");
    Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; ONNX Runtime CPU, spinning {(options.AllowSpinning ? "on" : "off")}; {scorer.Model.Name} on {problems.Count} prompts x {parse.GetValue(samples)} solutions of {parse.GetValue(model)![0]}");
    Console.WriteLine("| run | solutions | scored tokens | seconds | CPU seconds | scored tokens/s | passes | mean rows per pass |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|");
    for (var r = 0; r <= parse.GetValue(repeats); r++)
    {
        var result = await ScoringBenchmark.Run(scorer, requests, parse.GetValue(scoreRows), parse.GetValue(scoreTokens));
        Console.WriteLine(FormattableString.Invariant(
            $"| {(r == 0 ? "warm-up" : r.ToString(System.Globalization.CultureInfo.InvariantCulture))} | {result.Solutions} | {result.ScoredTokens} | {result.Seconds:F2} | {result.CpuSeconds:F2} | {result.TokensPerSecond:F0} | {result.Passes} | {result.MeanRows:F1} |"));
    }

    return 0;
});

var scorerName = new Option<string?>("--verifier-name") { Description = "The scorer's name in the running Verifier's catalog (default: its folder's name)" };
var scoringService = NewCommand("scoring-service",
    "Scored tokens/s of the running Verifier service (over RabbitMQ, Messaging:* settings) against its engine in this process, on the same solutions, in turn",
    model, scorerModel, scorerName, samples, file, limit, temperature, maxTokens, repeats, scoreRows, scoreTokens, spinning, threads);

scoringService.SetAction(async parse =>
{
    var options = Inference(parse);
    var problems = Problems(parse);
    var requests = await Solutions(parse, problems, options);

    var folder = parse.GetValue(scorerModel)!;
    var name = parse.GetValue(scorerName) ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
    using var scorer = PrmScorer.Open(ModelDirectory.Load(folder), options);
    await using var service = await ServiceScoringBenchmark.Connect();
    Console.WriteLine($"machine: {Machine.Describe()}");
    Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; ONNX Runtime CPU, spinning {(options.AllowSpinning ? "on" : "off")}; {scorer.Model.Name} on {problems.Count} prompts x {parse.GetValue(samples)} solutions of {parse.GetValue(model)![0]}; the service's model '{name}'");
    Console.WriteLine("| run | engine scored tokens | engine s | engine tokens/s | service scored tokens | cached | service s (first send to last reply) | service device s | service tokens/s | service / engine | failed |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (var r = 0; r <= parse.GetValue(repeats); r++)
    {
        var engine = await ScoringBenchmark.Run(scorer, requests, parse.GetValue(scoreRows), parse.GetValue(scoreTokens));
        var served = await service.Run(name, requests);
        Console.WriteLine(FormattableString.Invariant(
            $"| {(r == 0 ? "warm-up" : r.ToString(System.Globalization.CultureInfo.InvariantCulture))} | {engine.ScoredTokens} | {engine.Seconds:F2} | {engine.TokensPerSecond:F0} | {served.ScoredTokens} | {served.CachedScoredTokens} | {served.Seconds:F2} | {served.DeviceSeconds:F2} | {served.TokensPerSecond:F0} | {100 * served.TokensPerSecond / engine.TokensPerSecond:F0}% | {served.Failed} |"));
    }

    return 0;
});

var size = new Option<int>("--size") { DefaultValueFactory = _ => 4096 };
var output = new Option<string>("--out") { Required = true };
var matmulModel = new Command("matmul-model", "Write the one-MatMul ONNX graph used for the peak (for the GPU script)");
matmulModel.Options.Add(size);
matmulModel.Options.Add(output);
matmulModel.SetAction(parse => MatMulPeak.WriteModel(parse.GetValue(size), parse.GetValue(output)!));

var fixtures = new Option<string>("--fixtures") { Description = "Tokenizer fixtures (scripts/hf-fixtures)", DefaultValueFactory = _ => "tests/data/tokenizers" };
var tokenizers = NewCommand("tokenizers", "The two tokenizer libraries on the reference fixtures: exact ids and encoding tokens/s", fixtures, repeats);
tokenizers.SetAction(parse =>
{
    Console.WriteLine($"machine: {Machine.Describe()}");
    Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    Console.WriteLine(TokenizerBenchmark.Run(parse.GetValue(fixtures)!, parse.GetValue(repeats) * 40));
    return 0;
});

var root = new RootCommand("ttc-bench: measured benchmarks of the platform");
root.Subcommands.Add(tokenizers);
root.Subcommands.Add(generation);
root.Subcommands.Add(continuous);
root.Subcommands.Add(scoring);
root.Subcommands.Add(scoringService);
root.Subcommands.Add(matmulModel);
return await root.Parse(args).InvokeAsync();
