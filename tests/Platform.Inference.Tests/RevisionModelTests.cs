using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;
using Platform.Reasoning.Revisions;
using Platform.Tests.Shared;

namespace Platform.Inference.Tests;

/// <summary>The shipped revision model through ONNX Runtime: its prompt, and what it writes after earlier attempts.</summary>
[Collection(ShippedModelsCollection.Name)]
public sealed class RevisionModelTests(ShippedModels models)
{
    [Fact]
    public void The_prompt_shows_the_latest_attempts_the_manifest_allows_and_the_context_holds()
    {
        var manifest = models.Reviser.Model.Manifest;
        Assert.Equal((RevisionFormat.DefaultSeparator, 4), (manifest.Revision!.Separator, manifest.Revision.MaxAttempts));
        Assert.Equal(512, manifest.Architecture.Context);
        var attempts = Enumerable.Range(1, 6).Select(i => $"3+4={i}\nA: {i}\n").ToList();
        var prompt = RevisionPrompt.Build(models.Reviser, "3+4", attempts, maxNewTokens: 128);
        Assert.Equal(ArithmeticFormat.Prompt("3+4") + RevisionFormat.Context(attempts[2..]), prompt); // the latest four

        // Long attempts: older ones give way so that the prompt and 128 new tokens fit the context.
        var long1 = string.Concat(Enumerable.Repeat("111+222=333\n", 12)) + "A: 333\n";
        List<string> four = [long1, long1, long1, "3+4=8\nA: 8\n"];
        var fitted = RevisionPrompt.Build(models.Reviser, "3+4", four, maxNewTokens: 128);
        Assert.True(models.Reviser.EncodePrompt(fitted).Length + 128 <= 512);
        Assert.True(models.Reviser.EncodePrompt(ArithmeticFormat.Prompt("3+4") + RevisionFormat.Context(four)).Length + 128 > 512); // all four would not
        Assert.EndsWith("3+4=8\nA: 8\n==\n", fitted);
        Assert.Equal(3, fitted.Split("==\n").Length - 1); // two long attempts and the newest fit

        Assert.Contains("not a revision model", Assert.Throws<ArgumentException>(() => RevisionPrompt.Build(models.Generator, "3+4", attempts, 128)).Message);
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => RevisionPrompt.Build(models.Reviser, "3+4", [], 128)).Message);
    }

    [Fact]
    public void A_revision_is_a_solution_in_the_task_layout_and_fixes_some_wrong_first_attempts()
    {
        // Held-out problems with a wrong first attempt made from the reference: its first step's result off by one.
        var problems = ArithmeticRecord.ReadAll(Repository.Path("data/arith/heldout.jsonl")).Where(p => p.Level is >= 2 and <= 4).Take(40).ToList();
        var requests = problems.Select(p =>
        {
            var reference = ArithmeticFormat.Solution(ArithmeticExpression.Parse(p.Problem));
            var lines = reference.Split('\n');
            var first = lines[0];
            var eq = first.LastIndexOf('=');
            var wrong = first[..(eq + 1)] + (long.Parse(first[(eq + 1)..]) + 1) + "\n" + string.Join('\n', lines[1..]);
            return new GenerationRequest
            {
                Prompt = RevisionPrompt.Build(models.Reviser, p.Problem, [wrong], 128), SharedPrefix = ArithmeticFormat.Prompt(p.Problem),
                Sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = 128 },
            };
        }).ToList();
        var results = models.Reviser.Generate(requests);
        var answers = results.Select(r => ArithmeticFormat.ExtractAnswer(r.Samples[0].Text)).ToList();
        Assert.All(results, r => Assert.Null(r.Error));
        Assert.True(answers.Count(a => a is not null) >= 36, $"{answers.Count(a => a is not null)} of 40 revisions end in an answer line");
        var fixedCount = problems.Zip(answers).Count(x => x.Second == x.First.Answer);
        Assert.True(fixedCount >= 20, $"greedy revision fixed {fixedCount} of 40 wrong first attempts");
    }
}
