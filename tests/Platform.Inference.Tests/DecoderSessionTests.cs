using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;

namespace Platform.Inference.Tests;

[Collection(ShippedModelsCollection.Name)]
public sealed class DecoderSessionTests(ShippedModels models)
{
    private static readonly string[] Problems = ["(37+48)*3-19", "5-3", "715-(511+11)+409", "2*9+41-7", "(26*(1+8)+86-72)*2-16", "812-485"];

    private static GenerationRequest Greedy(string problem) => new()
    {
        Prompt = ArithmeticFormat.Prompt(problem), Samples = 1, Sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = 100 },
    };

    [Fact]
    public void Greedy_decoding_with_and_without_the_cache_gives_the_same_tokens()
    {
        // One batch of prompts of different lengths: left padding, forking and dropping finished rows all take part.
        var cached = models.Generator.Generate(Problems.Select(Greedy).ToList());
        for (var i = 0; i < Problems.Length; i++)
        {
            var plain = UncachedDecoder.Generate(models.Generator, Greedy(Problems[i]));
            Assert.Null(cached[i].Error);
            Assert.Equal(plain.Samples[0].Tokens, cached[i].Samples[0].Tokens);
            Assert.Equal(plain.Samples[0].Text, cached[i].Samples[0].Text);
            Assert.True(cached[i].Samples[0].Tokens.Length > 5, "the model should write at least one step");
            // Recomputing the whole sequence every step costs more than reusing the cache.
            Assert.True(plain.Usage.Flops > cached[i].Usage.Flops);
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_samples_and_another_seed_other_samples()
    {
        GenerationRequest Sampled(ulong seed) => new()
        {
            Prompt = ArithmeticFormat.Prompt("(122+713-406)*2+132"), Samples = 8,
            Sampling = new SamplingOptions { Temperature = 1.0, Seed = seed, MaxNewTokens = 100 },
        };

        var a = models.Generator.Generate([Sampled(7)])[0].Samples.Select(s => s.Text).ToList();
        var b = models.Generator.Generate([Sampled(7), Greedy("5-3")])[0].Samples.Select(s => s.Text).ToList();
        var c = models.Generator.Generate([Sampled(8)])[0].Samples.Select(s => s.Text).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.True(a.Distinct().Count() > 1, "temperature 1 should give different samples of one prompt");
    }

    [Fact]
    public void Stop_strings_cut_each_sample_at_the_step_delimiter()
    {
        var problem = "(37+48)*3-19";
        GenerationRequest Request(IReadOnlyList<string> stops) => new()
        {
            Prompt = ArithmeticFormat.Prompt(problem), Samples = 6, StopStrings = stops,
            Sampling = new SamplingOptions { Temperature = 0.8, Seed = 3, MaxNewTokens = 100 },
        };

        var steps = models.Generator.Generate([Request(["\n"])])[0];
        var whole = models.Generator.Generate([Request([])])[0];
        for (var s = 0; s < 6; s++)
        {
            var step = steps.Samples[s];
            Assert.Equal(FinishReasons.Stop, step.FinishReason);
            Assert.EndsWith("\n", step.Text);
            Assert.Equal(1, step.Text.Count(c => c == '\n'));
            // Same seed, same sample: the step is exactly the start of the full solution.
            Assert.StartsWith(step.Text, whole.Samples[s].Text);
            Assert.Equal(step.Tokens, whole.Samples[s].Tokens[..step.Tokens.Length]);
        }

        // Continuing a prefix by one step: the prompt carries the steps so far.
        var next = models.Generator.Generate([Request(["\n"]) with { Prompt = ArithmeticFormat.Prompt(problem) + "37+48=85\n" }])[0];
        Assert.All(next.Samples, s => Assert.Equal(1, s.Text.Count(c => c == '\n')));
    }

    [Fact]
    public void Max_new_tokens_ends_a_sample_with_reason_length()
    {
        var result = models.Generator.Generate([Greedy(Problems[0]) with { Sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = 4 } }])[0];
        Assert.Equal(FinishReasons.Length, result.Samples[0].FinishReason);
        Assert.Equal(4, result.Samples[0].Tokens.Length);
    }

    [Fact]
    public void Usage_is_exact_for_prompt_cache_and_generated_tokens()
    {
        var manifest = models.Generator.Model.Manifest;
        var request = new GenerationRequest
        {
            Prompt = ArithmeticFormat.Prompt("715-(511+11)+409"), Samples = 5,
            Sampling = new SamplingOptions { Temperature = 0.8, Seed = 11, MaxNewTokens = 100 },
        };
        var result = models.Generator.Generate([request])[0];
        var promptLength = models.Generator.EncodePrompt(request.Prompt).Length;
        Assert.Equal(promptLength, result.Usage.PromptTokens);
        Assert.Equal(4L * promptLength, result.Usage.CachedPromptTokens);
        Assert.Equal(result.Samples.Sum(s => s.Tokens.Length), result.Usage.GeneratedTokens);

        // FLOPs: the prompt once, then every fed token with the positions it attends to.
        double Token(long attended) => manifest.FlopsPerToken + (double)manifest.AttentionFlopsPerPosition * attended;
        var expected = Enumerable.Range(1, promptLength).Sum(j => Token(j));
        foreach (var s in result.Samples)
        {
            for (var t = 1; t < s.Tokens.Length; t++)
            {
                expected += Token(promptLength + t);
            }
        }

        Assert.Equal(expected, result.Usage.Flops, 1e-6 * expected);
        Assert.True(result.Usage.DeviceMilliseconds > 0);
    }

    [Fact]
    public void A_bad_request_gets_an_error_and_the_rest_of_the_batch_runs()
    {
        var results = models.Generator.Generate(
        [
            Greedy("5-3"),
            Greedy("5/3"),
            Greedy("1+1") with { Samples = 0 },
            Greedy(new string('1', 200)),
            Greedy("9*9"),
        ]);
        Assert.Null(results[0].Error);
        Assert.Contains("'/'", results[1].Error);
        Assert.Contains("samples", results[2].Error);
        Assert.Contains("context", results[3].Error);
        Assert.Null(results[4].Error);
        Assert.Single(results[4].Samples);
    }
}
