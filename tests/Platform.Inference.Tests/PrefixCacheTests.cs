using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;

namespace Platform.Inference.Tests;

/// <summary>
/// KV caches kept across requests in a radix tree (<see cref="PrefixCache"/>): a search prefix's next
/// round prefills only what is new, with the same samples as without the tree, under any memory bound.
/// </summary>
[Collection(ShippedModelsCollection.Name)]
public sealed class PrefixCacheTests(ShippedModels models)
{
    private static readonly string[] Problems = ["(37+48)*3-19", "715-(511+11)+409", "(26*(1+8)+86-72)*2-16", "(122+713-406)*2+132"];

    private static GenerationRequest Step(string problem, string prefix, int samples, int seed) => new()
    {
        Prompt = ArithmeticFormat.Prompt(problem) + prefix, Samples = samples, StopStrings = ["\n"], KeepSamples = true,
        Sampling = new SamplingOptions { Temperature = 0.8, Seed = (ulong)seed },
    };

    private static DecoderSession Open(int megabytes) =>
        DecoderSession.Open(ModelDirectory.Load(Repository.Model("gen-small")), new InferenceOptions { IntraOpThreads = 1, PrefixCacheMegabytes = megabytes });

    /// <summary>Three rounds of a search: every prefix continued by one step, each step extended in the next round.</summary>
    private static List<List<GenerationResult>> Search(DecoderSession session, IEnumerable<string>? problems = null)
    {
        var rounds = new List<List<GenerationResult>>();
        var prefixes = (problems ?? Problems).Select(p => (Problem: p, Text: "")).ToList();
        for (var round = 0; round < 3; round++)
        {
            var requests = prefixes.Select((x, i) => Step(x.Problem, x.Text, round == 0 ? 3 : 2, round * 100 + i)).ToList();
            var results = session.Generate(requests).ToList();
            Assert.All(results, r => Assert.Null(r.Error));
            rounds.Add(results);
            prefixes = [.. prefixes.Zip(results).SelectMany(x => x.Second.Samples.Take(2).Select(s => (x.First.Problem, x.First.Text + s.Text)))];
        }

        return rounds;
    }

    [Fact]
    public void A_search_round_prefills_only_its_new_tokens_and_samples_what_it_would_without_the_cache()
    {
        using var cached = Open(64);
        var with = Search(cached);
        var without = Search(models.Generator);
        var manifest = models.Generator.Model.Manifest;
        double Prefix(int n) => Enumerable.Range(1, n).Sum(j => manifest.FlopsPerToken + (double)manifest.AttentionFlopsPerPosition * j);

        for (var round = 0; round < with.Count; round++)
        {
            for (var i = 0; i < with[round].Count; i++)
            {
                var (a, b) = (with[round][i], without[round][i]);
                Assert.Equal(b.Samples.Select(s => s.Text), a.Samples.Select(s => s.Text));
                Assert.Equal(b.Usage.GeneratedTokens, a.Usage.GeneratedTokens);
                var prompt = (int)b.Usage.PromptTokens; // without the tree, every prompt token is computed
                var taken = a.Usage.CachedPromptTokens - b.Usage.CachedPromptTokens;
                Assert.Equal(prompt - taken, a.Usage.PromptTokens); // computed and cached are counted apart
                if (round > 0)
                {
                    // The step this prefix ends with was kept when it was sampled (all but its last token, which
                    // was never fed), and so was everything before it: one prompt token is computed.
                    Assert.Equal(prompt - 1, taken);
                    Assert.Equal(Prefix(prompt - 1), b.Usage.Flops - a.Usage.Flops, 1e-6 * b.Usage.Flops);
                }
                else
                {
                    // Round 0: the problems share the prompt template's first tokens, held once the first prompt is kept.
                    Assert.True(taken >= 0 && taken < prompt, $"round 0 took {taken} of {prompt} prompt tokens from the tree");
                }
            }
        }

        Assert.True(cached.Prefixes.HitTokens > cached.Prefixes.LookedUpTokens * 3 / 4, $"hit {cached.Prefixes.HitTokens} of {cached.Prefixes.LookedUpTokens} looked-up tokens");
        Assert.Equal(0, cached.Prefixes.Evictions);
        Assert.Equal(0, models.Generator.Prefixes.Bytes); // a session without a tree keeps nothing
    }

    [Fact]
    public void Under_a_tiny_memory_bound_the_tree_evicts_and_the_samples_stay_the_same()
    {
        using var tiny = Open(1); // 256 tokens of gen-small's cache: fewer than one round's prefixes need
        string[] problems = [.. Problems, "12*12+(9-4)*(3+3)", "100-1+44*55", "(2*9+7)*(3+8)", "(81-17)*4+250", "999-(123+456)", "7*(8+9)-(6*5)", "(64+36)*(12-7)", "3*3*3+4*4*4"];
        var with = Search(tiny, problems);
        var without = Search(models.Generator, problems);
        Assert.Equal(without.SelectMany(r => r).SelectMany(r => r.Samples).Select(s => s.Text), with.SelectMany(r => r).SelectMany(r => r.Samples).Select(s => s.Text));
        Assert.True(tiny.Prefixes.Evictions > 0, "a 1 MB tree should have evicted");
        Assert.InRange(tiny.Prefixes.Bytes, 1, tiny.Prefixes.CapacityBytes);
        Assert.True(tiny.Prefixes.HitTokens > 0, "what the tree still held should have been used");
    }

    [Fact]
    public void Requests_sharing_a_prefix_across_calls_find_it_and_a_request_never_takes_its_whole_prompt()
    {
        using var cached = Open(64);
        var prompt = ArithmeticFormat.Prompt("(37+48)*3-19");
        var first = cached.Generate([Step("(37+48)*3-19", "", 1, 1)])[0];
        var again = cached.Generate([Step("(37+48)*3-19", "", 1, 1)])[0]; // the same prompt: all but its last token cached
        var n = cached.EncodePrompt(prompt).Length;
        Assert.Equal(0, first.Usage.CachedPromptTokens);
        Assert.Equal(n - 1, again.Usage.CachedPromptTokens);
        Assert.Equal((n, 1L), (first.Usage.PromptTokens, again.Usage.PromptTokens));
        Assert.Equal(first.Samples[0].Text, again.Samples[0].Text);
        Assert.True(again.Usage.Flops < first.Usage.Flops);
    }

    [Fact]
    public void A_verifier_reads_only_the_new_step_of_a_partial_solution_it_scored_before_and_scores_it_the_same()
    {
        using var cached = PrmScorer.Open(ModelDirectory.Load(Repository.Model("prm")), new InferenceOptions { IntraOpThreads = 1, PrefixCacheMegabytes = 64 });
        var plain = models.Verifier;
        var manifest = cached.Model.Manifest;
        double Flops(int from, int to) => Enumerable.Range(from + 1, to - from).Sum(j => manifest.FlopsPerToken + (double)manifest.AttentionFlopsPerPosition * j);

        // Three rounds of a search: every partial solution gets one more step.
        string[][] steps =
        [
            ["37+48=85\n", "85*3=255\n", "255-19=236\n"],
            ["511+11=522\n", "715-522=193\n", "193+409=602\n"],
            ["511+11=521\n", "715-521=194\n", "194+409=603\n"],
        ];
        string[] problems = ["(37+48)*3-19", "715-(511+11)+409", "715-(511+11)+409"];
        for (var round = 1; round <= 3; round++)
        {
            var requests = problems.Select((p, i) => new ScoreRequest(p, string.Concat(steps[i].Take(round)))).ToList();
            var with = cached.Score(requests);
            var without = plain.Score(requests);
            for (var i = 0; i < requests.Count; i++)
            {
                Assert.Equal(without[i].Scores.Count, with[i].Scores.Count);
                for (var k = 0; k < with[i].Scores.Count; k++)
                {
                    Assert.Equal(without[i].Scores[k], with[i].Scores[k], 1e-5);
                }

                Assert.Equal(without[i].Usage.ScoredTokens, with[i].Usage.ScoredTokens);
                if (round > 1)
                {
                    // All of last round's text was held: the pass starts one token before the new step (its logits predict the step's first token).
                    var n = (int)with[i].Usage.ScoredTokens;
                    var held = cached.Encode(requests[i] with { Solution = string.Concat(steps[i].Take(round - 1)) }).Ids.Length;
                    Assert.Equal(held - 1, with[i].Usage.CachedScoredTokens);
                    Assert.Equal(Flops(held - 1, n), with[i].Usage.Flops, 1e-6 * with[i].Usage.Flops);
                    Assert.True(with[i].Usage.Flops < without[i].Usage.Flops / 2, $"round {round}: {with[i].Usage.Flops:E3} against {without[i].Usage.Flops:E3}");
                }
            }
        }

        // A solution read whole before needs no pass at all.
        var again = cached.Score([new ScoreRequest(problems[0], string.Concat(steps[0]))])[0];
        Assert.Equal(0, again.Usage.Flops);
        Assert.Equal(again.Usage.ScoredTokens, again.Usage.CachedScoredTokens);
        Assert.Equal(0, plain.Prefixes!.Bytes); // a verifier without a tree keeps nothing between calls
    }
}
