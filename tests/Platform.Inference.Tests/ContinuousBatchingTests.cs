using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;

namespace Platform.Inference.Tests;

/// <summary>Iteration-level batching: requests join a live decode batch between steps and leave as they finish.</summary>
[Collection(ShippedModelsCollection.Name)]
public sealed class ContinuousBatchingTests(ShippedModels models)
{
    private static GenerationRequest Greedy(string problem, int samples = 1) => new()
    {
        Prompt = ArithmeticFormat.Prompt(problem), Samples = samples, Sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = 100 },
    };

    private static GenerationRequest Step(string problem, string prefix, int k) => new()
    {
        Prompt = ArithmeticFormat.Prompt(problem) + prefix, Samples = k, StopStrings = ["\n"],
        Sampling = new SamplingOptions { Temperature = 0.8, Seed = 1 },
    };

    [Fact]
    public void A_request_joining_a_running_batch_decodes_with_it_and_gets_what_it_would_get_alone()
    {
        string[] first = ["(26*(1+8)+86-72)*2-16", "5-3"];
        string[] later = ["715-(511+11)+409", "(122+713-406)*2+132"];
        var results = new Dictionary<string, GenerationResult>();
        using var batch = models.Generator.NewBatch();
        batch.Admit(first.Select(p => (Greedy(p, 2), (Action<GenerationResult>)(r => results[p] = r))).ToList());
        Assert.Equal(4, batch.Rows);
        for (var i = 0; i < 6; i++)
        {
            batch.Step();
        }

        var before = batch.Rows;
        Assert.True(before > 0, "the first requests should still be decoding");
        batch.Admit(later.Select(p => (Greedy(p), (Action<GenerationResult>)(r => results[p] = r))).ToList());
        Assert.Equal(before + 2, batch.Rows);   // the new rows decode in the same forward passes
        while (batch.Rows > 0)
        {
            batch.Step();
        }

        Assert.Equal(4, results.Count);
        foreach (var p in first.Concat(later))
        {
            var alone = models.Generator.Generate([Greedy(p)])[0];
            Assert.Null(results[p].Error);
            Assert.Equal(alone.Samples[0].Text, results[p].Samples[0].Text);
            Assert.All(results[p].Samples, s => Assert.Equal(alone.Samples[0].Text, s.Text));
            Assert.True(results[p].Usage.Flops > 0 && results[p].Usage.DeviceMilliseconds > 0);
        }

        Assert.True(batch.RowSteps > batch.Steps, "steps after the join held rows of both requests");
    }

    [Fact]
    public void A_request_joining_in_finished_rows_places_decodes_as_it_would_alone()
    {
        // Two rows finish first and stay (2 of 9 is under a quarter); a request of two samples with a
        // shorter prompt then joins in their places, its cells right-aligned with the long rows', every
        // cell before them (the finished rows' own, unmasked until then) masked.
        const string shortProblem = "715-(511+11)+409";
        const string longProblem = "(122+713-406)*2+132-(47-12)";
        const string later = "5-3";
        var results = new Dictionary<string, GenerationResult>();
        using var batch = models.Generator.NewBatch();
        batch.Admit([
            (Greedy(longProblem, 7), r => results[longProblem] = r),
            (Greedy(shortProblem, 2), r => results[shortProblem] = r),
        ]);
        while (!results.ContainsKey(shortProblem))
        {
            batch.Step();
        }

        Assert.Equal(7, batch.Rows);
        batch.Admit([(Greedy(later, 2), r => results[later] = r)]);
        Assert.Equal(9, batch.Rows);
        Assert.Equal(2, batch.RowsJoinedInPlace);
        while (batch.Rows > 0)
        {
            batch.Step();
        }

        foreach (var (problem, result) in results)
        {
            var alone = models.Generator.Generate([Greedy(problem, result.Samples.Count)])[0];
            Assert.Null(result.Error);
            Assert.Equal(alone.Samples.Select(s => s.Text), result.Samples.Select(s => s.Text));
            Assert.Equal(alone.Usage.Flops, result.Usage.Flops, 1e-6 * result.Usage.Flops);
        }
    }

    [Fact]
    public void A_finished_row_left_in_the_batch_changes_nothing_and_its_request_completes_at_once()
    {
        // One short request among seven long rows: its row finishes first and stays in the batch (fed,
        // ignored) until a quarter of the rows have finished; nobody's tokens or compute change.
        const string shortProblem = "5-3";
        const string longProblem = "(122+713-406)*2+132-(47-12)";
        var results = new Dictionary<string, GenerationResult>();
        var rowsWhenShortDone = -1;
        using var batch = models.Generator.NewBatch();
        batch.Admit([
            (Greedy(longProblem, 7), r => results[longProblem] = r),
            (Greedy(shortProblem), r => { results[shortProblem] = r; rowsWhenShortDone = batch.Rows; }),
        ]);
        while (batch.Rows > 0)
        {
            batch.Step();
        }

        Assert.True(rowsWhenShortDone >= 7, $"the short request completed as soon as its row finished (rows then: {rowsWhenShortDone})");
        foreach (var (problem, result) in results)
        {
            var alone = models.Generator.Generate([Greedy(problem, result.Samples.Count)])[0];
            Assert.Equal(alone.Samples.Select(s => s.Text), result.Samples.Select(s => s.Text));
            Assert.Equal(alone.Usage.Flops, result.Usage.Flops, 1e-6 * result.Usage.Flops);
        }
    }

    [Fact]
    public void Prompts_that_share_a_prefix_have_it_prefilled_once_and_decode_as_they_would_alone()
    {
        var shared = ArithmeticFormat.Prompt("(26*(1+8)+86-72)*2-16");
        string[] rests = ["1+8=9\n", "1+8=9\n26*9=234\n", "1+8=9\n26*9=234\n234+86=320\n"];
        var requests = rests.Select(r => Greedy("x", 2) with { Prompt = shared + r, SharedPrefix = shared })
            .Append(Greedy("715-(511+11)+409") with { SharedPrefix = ArithmeticFormat.Prompt("715") }) // shares with no other request
            .ToList();
        var together = models.Generator.Generate(requests);
        var alone = requests.Select(r => models.Generator.Generate([r with { SharedPrefix = "" }])[0]).ToList();
        var prefix = models.Generator.EncodePrompt(shared).Length;
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Null(together[i].Error);
            Assert.Equal(alone[i].Samples.Select(s => s.Text), together[i].Samples.Select(s => s.Text));
            var own = models.Generator.EncodePrompt(requests[i].Prompt).Length;
            // Samples fork their prompt's cache; the 2nd and 3rd prompts also took the shared prefix from the 1st.
            Assert.Equal((requests[i].Samples - 1) * own + (i is 1 or 2 ? prefix : 0), together[i].Usage.CachedPromptTokens);
        }

        // The shared prefix's FLOPs are paid once and shared out: the group costs two prefixes less than alone.
        var saved = alone.Take(3).Sum(r => r.Usage.Flops) - together.Take(3).Sum(r => r.Usage.Flops);
        var prefixFlops = Enumerable.Range(1, prefix).Sum(j => models.Generator.Model.Manifest.FlopsPerToken + (double)models.Generator.Model.Manifest.AttentionFlopsPerPosition * j);
        Assert.Equal(2 * prefixFlops, saved, 1e-6 * saved);
        Assert.Equal(alone[3].Usage.Flops, together[3].Usage.Flops, 1e-9 * alone[3].Usage.Flops);
    }

    [Fact]
    public async Task Concurrent_submissions_share_decode_steps_and_each_gets_its_own_samples()
    {
        await using var engine = new ContinuousGenerator(_ => models.Generator, new ContinuousBatchLimits { MaxRows = 64 });

        // Three "runs" each continue their own prefixes by one step, K samples per prefix.
        var a = engine.Submit("gen-small", [Step("(37+48)*3-19", "", 4), Step("(37+48)*3-19", "37+48=85\n", 4)], CancellationToken.None);
        var b = engine.Submit("gen-small", [Step("715-(511+11)+409", "511+11=522\n", 3)], CancellationToken.None);
        var c = engine.Submit("gen-small", [Step("5-3", "", 2)], CancellationToken.None);
        var results = await Task.WhenAll(a, b, c);

        Assert.Equal([4, 4], results[0].Select(r => r.Samples.Count));
        Assert.Equal(3, results[1].Single().Samples.Count);
        Assert.Equal(2, results[2].Single().Samples.Count);
        Assert.All(results.SelectMany(r => r).SelectMany(r => r.Samples), s => Assert.Equal(1, s.Text.Count(ch => ch == '\n')));
        Assert.True(engine.MeanRowsPerStep > 4, $"rows of several runs should share steps (mean {engine.MeanRowsPerStep:F1})");

        // Every row a step decodes reads at least its own prompt and the new position from the cache.
        var shortest = models.Generator.EncodePrompt(ArithmeticFormat.Prompt("5-3")).Length;
        Assert.True(engine.CellSteps >= engine.RowSteps * (shortest + 1L), $"cells read {engine.CellSteps}, row steps {engine.RowSteps}");
        Assert.True(engine.DecodeTime > TimeSpan.Zero);

        // Each prefix was computed once and shared by its K samples.
        var prefix = models.Generator.EncodePrompt(ArithmeticFormat.Prompt("(37+48)*3-19") + "37+48=85\n").Length;
        Assert.Equal(prefix, results[0][1].Usage.PromptTokens);
        Assert.Equal(3L * prefix, results[0][1].Usage.CachedPromptTokens);

        // The same seed gives the same samples whatever else shared the batch.
        var alone = models.Generator.Generate([Step("5-3", "", 2)])[0];
        Assert.Equal(alone.Samples.Select(s => s.Text), results[2][0].Samples.Select(s => s.Text));
    }

    [Fact]
    public async Task Several_decode_loops_share_the_submissions_and_each_request_gets_what_it_would_get_alone()
    {
        // Three loops on one session (ONNX Runtime sessions take concurrent runs): nine submissions go to
        // the least-loaded loop; every loop decodes, and tokens and compute are those of each request alone.
        await using var engine = new ContinuousGenerator(_ => models.Generator, new ContinuousBatchLimits { MaxRows = 8, Engines = 3 });
        string[] problems = ["(37+48)*3-19", "5-3", "715-(511+11)+409", "12*12", "(9-4)*(3+3)", "100-1", "(26*(1+8)+86-72)*2-16", "2*9", "44+55"];
        var results = await Task.WhenAll(problems.Select(p => engine.Submit("gen-small", [Greedy(p, 2)], CancellationToken.None)));

        Assert.Equal(3, engine.StepsPerEngine.Count);
        Assert.All(engine.StepsPerEngine, steps => Assert.True(steps > 0, $"every loop should decode (steps per loop: {string.Join(", ", engine.StepsPerEngine)})"));
        Assert.Equal(engine.Steps, engine.StepsPerEngine.Sum());
        for (var i = 0; i < problems.Length; i++)
        {
            var alone = models.Generator.Generate([Greedy(problems[i], 2)])[0];
            Assert.Equal(alone.Samples.Select(s => s.Text), results[i][0].Samples.Select(s => s.Text));
            Assert.Equal(alone.Usage.Flops, results[i][0].Usage.Flops, 1e-6 * alone.Usage.Flops);
        }
    }

    [Theory]
    [InlineData(0, "cpu", 0, 2, 2, 1)]      // one loop per core, one ONNX Runtime thread each
    [InlineData(0, "cpu", 0, 16, 8, 2)]     // at most 8 loops; the cores shared out
    [InlineData(0, "cpu", 0, 1, 1, 0)]      // one loop: ONNX Runtime's default threads
    [InlineData(0, "cuda", 0, 16, 1, 0)]    // a GPU: one loop
    [InlineData(3, "cpu", 0, 2, 3, 1)]      // configured loops are kept
    [InlineData(0, "cpu", 4, 2, 2, 4)]      // configured threads are kept
    [InlineData(1, "cpu", 0, 8, 1, 0)]
    public void Decode_loops_and_their_threads_follow_the_cores_unless_configured(int configured, string provider, int threads, int cores, int engines, int expectedThreads)
    {
        var layout = ContinuousBatchLimits.Layout(configured, new InferenceOptions { ExecutionProvider = provider, IntraOpThreads = threads }, cores);
        Assert.Equal((engines, expectedThreads), layout);
    }

    [Fact]
    public async Task A_request_over_the_row_limit_runs_alone_and_bad_requests_fail_alone()
    {
        await using var engine = new ContinuousGenerator(_ => models.Generator, new ContinuousBatchLimits { MaxRows = 4 });
        var big = engine.Submit("gen-small", [Greedy("2*9", 6)], CancellationToken.None);
        var bad = engine.Submit("gen-small", [Greedy("2*9") with { Samples = 0 }, Greedy("3*3")], CancellationToken.None);
        var results = await Task.WhenAll(big, bad);
        Assert.Equal(6, results[0][0].Samples.Count);
        Assert.Contains("samples", results[1][0].Error);
        Assert.Null(results[1][1].Error);
    }

    [Fact]
    public async Task Scoring_passes_take_solutions_from_many_requests_and_cut_large_ones()
    {
        await using var engine = new ContinuousScorer(_ => models.Verifier, maxRows: 8, maxTokens: 100_000);
        var prompt = ArithmeticFormat.Prompt("(37+48)*3-19");
        ScoreRequest R(string s) => new(prompt, s);
        var large = Enumerable.Range(0, 20).Select(i => R($"37+48=85\n85*3=255\n255-19={236 + i % 3}\nA: {236 + i % 3}\n")).ToList();
        var small = new[] { R("37+48=85\n"), R("37+48=86\n") };
        var results = await Task.WhenAll(engine.Submit("prm", large, CancellationToken.None), engine.Submit("prm", small, CancellationToken.None));

        var expected = models.Verifier.Score([.. large, .. small]);
        // Same scores as one call (up to float rounding: the passes pad to other widths).
        var got = results[0].Concat(results[1]).ToList();
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Scores.Count, got[i].Scores.Count);
            Assert.All(expected[i].Scores.Zip(got[i].Scores), p => Assert.Equal(p.First, p.Second, 5));
        }

        Assert.Equal(22, engine.Rows);
        Assert.True(engine.Passes >= 3, "20 + 2 solutions need at least three passes of 8");
    }
}
