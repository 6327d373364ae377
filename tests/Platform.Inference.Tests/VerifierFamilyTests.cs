using System.Text.Json;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Inference.Verifiers;

namespace Platform.Inference.Tests;

/// <summary>
/// The public reward-model families (models/hf-verifiers, scripts/make-hf-test-models.sh), fed and read
/// by the runtime against references PyTorch computed from the inputs each model card builds: the same
/// input ids, the same read positions, every step score within 1e-4, with solutions of different
/// lengths scored in one batch.
/// </summary>
public sealed class VerifierFamilyTests
{
    public static TheoryData<string> Families => new() { "qwen-prm", "math-shepherd", "chat-judge", "value-head", "outcome" };

    private static readonly InferenceOptions Options = new() { IntraOpThreads = 1 };

    private static (ModelDirectory Model, List<JsonElement> Cases) Load(string name)
    {
        var folder = Repository.Path($"models/hf-verifiers/{name}");
        var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "reference.json"))).RootElement.Clone();
        return (ModelDirectory.Load(folder), reference.GetProperty("cases").EnumerateArray().ToList());
    }

    private static int[] Ints(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt32())];

    [Theory]
    [MemberData(nameof(Families))]
    public void The_input_is_built_as_the_model_card_builds_it(string name)
    {
        var (model, cases) = Load(name);
        var family = VerifierFamily.Of(model);
        Assert.Equal(name, family.Family);
        foreach (var c in cases)
        {
            var input = FamilyInputs.Build(family, model, c.GetProperty("problem").GetString()!, c.GetProperty("solution").GetString()!, c.GetProperty("delimiter").GetString()!);
            Assert.Equal(Ints(c.GetProperty("ids")), input.Ids);
            Assert.Equal(Ints(c.GetProperty("read_at")), input.ReadAt);
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Step_scores_of_a_batch_match_the_reference_within_1e_4(string name)
    {
        var (model, cases) = Load(name);
        using var scorer = PrmScorer.Open(model, Options);
        Assert.Equal(name, scorer.Family);
        var results = scorer.Score([.. cases.Select(c => new ScoreRequest(c.GetProperty("problem").GetString()!, c.GetProperty("solution").GetString()!, c.GetProperty("delimiter").GetString()))]);
        for (var i = 0; i < cases.Count; i++)
        {
            Assert.Null(results[i].Error);
            var expected = cases[i].GetProperty("step_scores").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            Assert.Equal(expected.Length, results[i].Scores.Count);
            var worst = expected.Zip(results[i].Scores).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(worst < 1e-4, $"{name} case {i}: largest step-score difference {worst:E2}");
            Assert.True(results[i].Usage.ScoredTokens > 0 && results[i].Usage.Flops > 0);
        }
    }

    [Theory]
    [InlineData("math-shepherd")]
    [InlineData("chat-judge")]
    public void Solutions_of_one_problem_share_their_prefix_pass_with_the_same_scores(string name)
    {
        var (model, cases) = Load(name);
        using var scorer = PrmScorer.Open(model, Options);
        var requests = cases.Select(c => new ScoreRequest(c.GetProperty("problem").GetString()!, c.GetProperty("solution").GetString()!, c.GetProperty("delimiter").GetString())).ToList();
        var alone = requests.Select(r => scorer.Score([r])[0]).ToList();
        var together = scorer.Score(requests);
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.All(alone[i].Scores.Zip(together[i].Scores), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-5));
        }

        Assert.True(together.Sum(r => r.Usage.Flops) < 0.9 * alone.Sum(r => r.Usage.Flops), "the problems' common prefixes are computed once");
        Assert.Equal(alone.Sum(r => r.Usage.ScoredTokens), together.Sum(r => r.Usage.ScoredTokens));
    }

    [Fact]
    public void A_solution_without_a_step_gets_a_reason_and_the_others_are_scored()
    {
        var (model, cases) = Load("qwen-prm");
        using var scorer = PrmScorer.Open(model, Options);
        var problem = cases[0].GetProperty("problem").GetString()!;
        var results = scorer.Score([new ScoreRequest(problem, "\n\n\n\n", "\n\n"), new ScoreRequest(problem, cases[0].GetProperty("solution").GetString()!, "\n\n")]);
        Assert.Equal("the solution has no step", results[0].Error);
        Assert.Null(results[1].Error);
        Assert.Equal(3, results[1].Scores.Count);
    }

    [Fact]
    public void A_folder_that_says_no_family_is_refused_naming_both_ways_to_say_it()
    {
        var dir = Directory.CreateTempSubdirectory("ttc-no-family").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(Repository.Path("models/hf-verifiers/chat-judge")).Where(f => !f.EndsWith(VerifierFamily.FileName, StringComparison.Ordinal)))
            {
                File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
            }

            var error = Assert.Throws<InvalidDataException>(() => PrmScorer.Open(ModelDirectory.Load(dir), Options));
            Assert.Contains("config.json's architectures (Qwen2ForCausalLM) name no reward-model head", error.Message);
            Assert.Contains("add verifier.json with {\"family\": \"qwen-prm\" | \"math-shepherd\" | \"chat-judge\" | \"value-head\" | \"outcome\"}", error.Message);

            File.WriteAllText(Path.Combine(dir, VerifierFamily.FileName), """{"family": "judge"}""");
            Assert.Contains("family must be one of", Assert.Throws<InvalidDataException>(() => PrmScorer.Open(ModelDirectory.Load(dir), Options)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
