using System.Text.Json;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;
using Platform.Reasoning.Confidence;

namespace Platform.Inference.Tests;

/// <summary>
/// Token log-probabilities and confidences (DeepConf) read in the decode loop: through the cache as without it,
/// against PyTorch's logits for real-format models, and the online confidence stop ending samples early.
/// </summary>
[Collection(ShippedModelsCollection.Name)]
public sealed class LogProbTests(ShippedModels models)
{
    private static readonly string[] Problems = ["(37+48)*3-19", "5-3", "715-(511+11)+409", "(26*(1+8)+86-72)*2-16"];

    private static GenerationRequest Sampled(string problem, int samples, ConfidenceThreshold? stop = null) => new()
    {
        Prompt = ArithmeticFormat.Prompt(problem), Samples = samples, ConfidenceStop = stop,
        Sampling = new SamplingOptions { Temperature = 1.0, Seed = 11, MaxNewTokens = 100, TopLogProbs = 20 },
    };

    [Fact]
    public void Log_probabilities_through_the_continuous_batch_equal_those_of_a_pass_without_a_cache()
    {
        var cached = models.Generator.Generate(Problems.Select(p => Sampled(p, 3)).ToList());
        for (var i = 0; i < Problems.Length; i++)
        {
            var plain = UncachedDecoder.Generate(models.Generator, Sampled(Problems[i], 3));
            for (var s = 0; s < 3; s++)
            {
                var (a, b) = (cached[i].Samples[s], plain.Samples[s]);
                Assert.Equal(b.Tokens, a.Tokens);
                Assert.Equal(a.Tokens.Length, a.LogProbs.Length);
                Assert.Equal(a.Tokens.Length, a.Confidences.Length);
                for (var t = 0; t < a.Tokens.Length; t++)
                {
                    Assert.InRange(a.LogProbs[t] - b.LogProbs[t], -1e-3, 1e-3);
                    Assert.InRange(a.Confidences[t] - b.Confidences[t], -1e-3, 1e-3);
                    Assert.True(a.LogProbs[t] <= 1e-5 && a.Confidences[t] >= 0, $"token {t}: log-probability {a.LogProbs[t]}, confidence {a.Confidences[t]}");
                }
            }
        }
    }

    [Fact]
    public void Without_top_log_probabilities_nothing_is_read()
    {
        var result = models.Generator.Generate([Sampled(Problems[0], 2) with { Sampling = new SamplingOptions { Temperature = 1.0, Seed = 11, MaxNewTokens = 40 } }])[0];
        Assert.All(result.Samples, s => Assert.Empty(s.LogProbs));
    }

    [Fact]
    public void A_confidence_stop_ends_samples_whose_window_confidence_falls_below_the_threshold()
    {
        var free = models.Generator.Generate([Sampled(Problems[3], 16)])[0];
        var window = 4;
        var groups = free.Samples.Select(s => TraceConfidence.Of(s.Confidences, window, window)!.LowestGroup).Order().ToList();
        var threshold = groups[groups.Count / 2]; // half the free samples dip below it somewhere
        var stopped = models.Generator.Generate([Sampled(Problems[3], 16, new ConfidenceThreshold(threshold, window))])[0];
        for (var s = 0; s < 16; s++)
        {
            var (a, b) = (free.Samples[s], stopped.Samples[s]);
            var lowest = TraceConfidence.Of(a.Confidences, window, window)!.LowestGroup;
            if (lowest < threshold)
            {
                // Same seed, same tokens up to the first window below the threshold, and there it ends.
                Assert.Equal(FinishReasons.Confidence, b.FinishReason);
                Assert.True(b.Tokens.Length <= a.Tokens.Length, $"sample {s}");
                Assert.Equal(a.Tokens[..b.Tokens.Length], b.Tokens);
                Assert.True(TraceConfidence.Groups(b.Confidences, window)[^1] < threshold);
            }
            else
            {
                Assert.Equal(a.Tokens, b.Tokens);
                Assert.Equal(a.FinishReason, b.FinishReason);
            }
        }

        Assert.Contains(stopped.Samples, s => s.FinishReason == FinishReasons.Confidence);
        Assert.True(stopped.Usage.GeneratedTokens < free.Usage.GeneratedTokens, "stopped samples do not spend the tokens they did not write");
    }

    public static TheoryData<string> RealFormat => new() { "llama-gqa", "qwen2-tied", "gpt2", "phi3" };

    [Theory]
    [MemberData(nameof(RealFormat))]
    public void Real_format_models_give_the_log_probabilities_of_PyTorchs_logits(string name)
    {
        var folder = Repository.Path($"models/hf-test/{name}");
        var model = ModelDirectory.Load(folder);
        var parity = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "parity.json"))).RootElement;
        using var session = DecoderSession.Open(model, new InferenceOptions { IntraOpThreads = 1 });
        var prompts = parity.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToList();
        var results = session.Generate([.. prompts.Select(p => new GenerationRequest
        {
            Prompt = p, PromptIds = model.Tokenizer.EncodeWithSpecialTokens(p), Sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = 1, TopLogProbs = 5 },
        })]);
        var logits = parity.GetProperty("first_step_logits").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToList();
        for (var i = 0; i < prompts.Count; i++)
        {
            // log-softmax of the reference logits, and the negative mean of its five largest entries.
            var row = logits[i];
            var max = row.Max();
            var logZ = max + Math.Log(row.Sum(x => Math.Exp(x - max)));
            var sample = results[i].Samples[0];
            var expectedLogProb = row[sample.Tokens[0]] - logZ;
            var expectedConfidence = -row.OrderDescending().Take(5).Average(x => x - logZ);
            Assert.InRange(sample.LogProbs[0] - expectedLogProb, -1e-3, 1e-3);
            Assert.InRange(sample.Confidences[0] - expectedConfidence, -1e-3 * Math.Max(1, expectedConfidence), 1e-3 * Math.Max(1, expectedConfidence));
        }
    }
}
