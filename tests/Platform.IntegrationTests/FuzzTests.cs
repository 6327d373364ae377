using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CsCheck;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>Every log entry at Error or above, from every host.</summary>
public sealed class ErrorLog : ILoggerProvider
{
    public ConcurrentQueue<string> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ErrorLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log.Entries.Enqueue($"{category}: {formatter(state, exception)} {exception?.GetType().Name}: {exception?.Message}");
            }
        }
    }
}

/// <summary>
/// Property-based fuzzing (CsCheck) of both doors against the real stack: generated bodies over HTTP
/// (control characters, lone surrogates and NUL escaped in JSON, huge and negative numbers, wrong types,
/// Unicode normalisation forms, very long strings, duplicate, unknown and missing fields, bodies that are
/// not JSON) and generated SubmitBatch messages on the bus. Every HTTP answer is 2xx or 4xx with an RFC 7807
/// body, no service logs an error, and every accepted batch reaches a terminal state. TTC_FUZZ_CASES sets
/// the number of HTTP cases (CI: 300; benchmarks/fuzz.sh: 10,000), a third of it bus cases.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class FuzzTests(Servers servers, Xunit.Abstractions.ITestOutputHelper output)
{
    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("TTC_FUZZ_CASES"), out var n) && n > 0 ? n : 300;

    private static readonly string[] Strings =
    [
        "12+30", "", " ", "greedy", "self-consistency", "best-of-n", "last", "min", "gen-small", "prm", "batch", "interactive", "sweep",
        "\u0000", "a\u0000b", "\u0001\u001f\u007f", "\ud800", "x\udc00y", "e\u0301", "\u00e9", "\ufb01", "\u212b", "😀", "../../../../etc",
        "Robert'); DROP TABLE batches;--", "%s%n", new string('x', 20_000), new string('9', 400),
    ];

    /// <summary>JSON fragments: strings (escaped as a sender would), numbers of every size, wrong types.</summary>
    private static readonly Gen<string> Value = Gen.OneOf<string>(
        Gen.OneOf(Strings).Select(s => JsonSerializer.Serialize(s)),
        Gen.OneOf("\"\\u0000\"", "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"tab\\there\""), // escapes as they travel
        Gen.OneOf("0", "-1", "1", "2", "4", "16", "1025", "2147483648", "-2147483649", "1e308", "-1e308", "3.5", "1e400", "NaN"),
        Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.OneOf("true", "false", "null", "[]", "{}", "[1,2]", "{\"a\":1}", "\"4\""));

    private static readonly string[] BatchFields =
        ["name", "strategy", "n", "aggregation", "seed", "generatorModel", "verifierModel", "priority", "beamWidth", "tokenBudget", "source", "externalId", "mystery"];

    private static readonly string[] ProblemFields = ["text", "referenceAnswer", "externalId", "level", "subject", "difficultyBin", "answer", "question"];

    private static Gen<string> Object(string[] fields, Gen<string>? extra = null) =>
        Gen.Select(Gen.Bool.Array[fields.Length].Select(mask => fields.Where((_, i) => mask[i]).ToArray()), Gen.Bool, Value.Array[1, fields.Length])
            .Select((names, duplicate, values) =>
            {
                var pairs = names.Select((n, i) => $"{JsonSerializer.Serialize(n)}:{values[i % values.Length]}").ToList();
                if (duplicate && pairs.Count > 0)
                {
                    pairs.Add(pairs[0]); // a field twice
                }

                return pairs;
            })
            .SelectMany(pairs => (extra ?? Gen.Const("")).Select(e => "{" + string.Join(",", e.Length > 0 ? pairs.Append(e) : pairs) + "}"));

    private static readonly Gen<string> Problem = Gen.Frequency(
        (6, Gen.Select(Gen.OneOf("12+30", "7*8", "(37+48)*3-19"), Object(["referenceAnswer", "externalId", "level"])).Select((t, rest) =>
            rest.Length > 2 ? $"{{\"text\":\"{t}\",{rest[1..]}" : $"{{\"text\":\"{t}\"}}")),
        (4, Object(ProblemFields)),
        (1, Value));

    /// <summary>Bodies that are mostly right, so that the planner and the workers see the odd values too.</summary>
    private static readonly Gen<string> Plausible = Gen.Select(
            Gen.Select(Gen.OneOf("12+30", "7*8", "(37+48)*3-19", "e\u0301 + 1", "２+３"), Gen.OneOf(Strings)).Array[1, 3],
            Gen.OneOf(Strings), Gen.OneOf<string?>(null, "batch", "sweep", "interactive"), Gen.OneOf("greedy", "self-consistency", "best-of-n"))
        .Select((problems, name, priority, strategy) => JsonSerializer.Serialize(new
        {
            name, strategy, n = 2, priority,
            problems = problems.Select(p => new { text = p.Item1, referenceAnswer = p.Item2 }),
        }));

    private static readonly Gen<string> Body = Gen.Frequency(
        (6, Plausible),
        (8, Gen.Select(Problem.Array[0, 4], Object(BatchFields), Gen.OneOf("greedy", "self-consistency")).Select((problems, rest, strategy) =>
            $"{{\"strategy\":\"{strategy}\",\"n\":2,\"problems\":[{string.Join(",", problems)}]{(rest.Length > 2 ? "," + rest[1..] : "}")}")),
        (2, Object(BatchFields, Problem.Array[0, 3].Select(p => $"\"problems\":[{string.Join(",", p)}]"))),
        (1, Gen.OneOf("", "null", "[]", "{", "{\"problems\":", "\"problems\"", "{\"problems\":[{\"text\":\"1+1\"}]", "\u0000", "{}}")),
        (1, Gen.String[0, 200]));

    [Fact]
    public async Task Generated_bodies_and_messages_get_2xx_or_4xx_with_a_problem_body_log_no_error_and_every_accepted_batch_ends()
    {
        var errors = new ErrorLog();
        await using var hosts = await PlatformHosts.Start(servers, new() { ["Router:RequestsPerMinutePerKey"] = "1000000" },
            configure: (_, builder) => builder.Logging.AddProvider(errors));
        var accepted = new ConcurrentBag<Guid>();
        var answers = new ConcurrentDictionary<int, int>();

        await Body.SampleAsync(async body =>
        {
            using var response = await hosts.Http.PostAsync("/batches", new StringContent(body, Encoding.UTF8, "application/json"));
            var status = (int)response.StatusCode;
            answers.AddOrUpdate(status, 1, (_, n) => n + 1);
            Assert.True(status is >= 200 and < 500, $"HTTP {status} for {Shorten(body)}");
            if (status == 202)
            {
                accepted.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("batchId").GetGuid());
            }
            else
            {
                Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"HTTP {status} without a problem body for {Shorten(body)}");
                var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
                Assert.Equal(status, problem.GetProperty("status").GetInt32());
            }
        }, iter: Cases, threads: 1);

        // On the bus: messages a sender could write, with the same values (the senders' JSON is the bus's contract).
        var sent = new ConcurrentBag<Guid>();
        var text = Gen.OneOf(Strings);
        var number = Gen.OneOf<int?>(null, -1, 0, 1, 2, 4, 1025, int.MaxValue, int.MinValue);
        var problem = Gen.Select(text, text, Gen.Bool).Select((t, a, missing) => missing ? null! : new ProblemSubmission { Text = t, ReferenceAnswer = a });
        var message = Gen.Select(problem.Array[0, 3], Gen.OneOf<string?>(null, "greedy", "self-consistency", "\u0000", "beam-search"), number, text, Gen.OneOf<string?>(null, "batch", "urgent", "\ud800"))
            .Select((problems, strategy, n, name, priority) => new SubmitBatch
            {
                BatchId = Guid.NewGuid(), Problems = problems, Strategy = strategy, N = n is > 8 and < 1025 ? 8 : n, Name = name, Priority = priority, Submitter = name,
            });
        await message.SampleAsync(async m =>
        {
            await hosts.Send(m, QueueNames.SubmitBatch);
            sent.Add(m.BatchId);
        }, iter: Math.Max(1, Cases / 3), threads: 1);

        // Every accepted batch and every message reaches a terminal state.
        var all = accepted.Concat(sent).ToHashSet();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        List<Guid> open;
        do
        {
            await Task.Delay(500);
            await using var db = hosts.NewContext();
            var ended = await db.Batches.AsNoTracking().Where(b => all.Contains(b.Id) && b.Status != BatchStatus.Accepted).Select(b => b.Id).ToListAsync();
            open = [.. all.Except(ended)];
        }
        while (open.Count > 0 && DateTime.UtcNow < deadline);

        output.WriteLine($"HTTP: {Cases} bodies, answers {string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{a.Key} x{a.Value}"))}; " +
            $"bus: {sent.Count} messages; {all.Count - open.Count} of {all.Count} batches ended; {errors.Entries.Count} errors logged");
        Assert.True(open.Count == 0, $"{open.Count} of {all.Count} batches did not end: {string.Join(", ", open.Take(5))}");
        Assert.True(errors.Entries.IsEmpty, "errors logged:\n" + string.Join("\n", errors.Entries.Take(10)));
        Assert.NotEmpty(accepted); // the generator reaches the planner, not only the door
    }

    private static string Shorten(string body) => body.Length > 300 ? body[..300] + $"… ({body.Length} chars)" : body;
}
