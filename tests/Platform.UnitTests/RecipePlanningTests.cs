using Platform.Contracts;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Router;
using Platform.Router.Planning;

namespace Platform.UnitTests;

/// <summary>
/// The generator's published recipe in a plan: its top_p and new-token limit, its temperature for
/// sampling strategies (greedy stays greedy), its beam width and iterations where the batch gives none;
/// a model without a recipe keeps the Router's settings; an unreadable recipe refuses the batch naming the field.
/// </summary>
public sealed class RecipePlanningTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ttc-recipe-plan").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SubmitBatch Batch(string strategy, string generator, int? beamWidth = null) => new()
    {
        BatchId = Guid.NewGuid(), Strategy = strategy, N = 16, GeneratorModel = generator, BeamWidth = beamWidth,
        Problems = [new ProblemSubmission { Text = "12+30", ReferenceAnswer = "42" }],
    };

    private BatchPlanner Planner()
    {
        File.WriteAllText(Path.Combine(_dir, "broken.json"), """{"name": "broken", "temperature": -1}""");
        var models = new ModelsOptions
        {
            Directory = Repository.Path("models"),
            Catalog = { ["llama-sal"] = Repository.Path("models/hf-test/llama-gqa"), ["llama-broken"] = Repository.Path("models/hf-test/llama-gqa") },
            Recipes = { ["llama-sal"] = Repository.Path("recipes/search-and-learn-math500.json"), ["llama-broken"] = Path.Combine(_dir, "broken.json") },
        };
        return new BatchPlanner(new RouterOptions { MaxNewTokens = 128, PolicyFile = Path.Combine(_dir, "none.json") }, TimeProvider.System,
            catalog: new ModelCatalog(models, new InferenceOptions { IntraOpThreads = 1 }));
    }

    // generator, strategy, beam width asked, expected: temperature, top_p, max new tokens, beam width, iterations
    [Theory]
    [InlineData("llama-sal", "beam-search", null, 0.8, 1.0, 2048, 4, 40)]     // search-and-learn's published settings
    [InlineData("llama-sal", "beam-search", 8, 0.8, 1.0, 2048, 8, 40)]        // the batch's own beam width wins
    [InlineData("llama-sal", "greedy", null, 0.0, 1.0, 2048, 4, 40)]          // greedy stays greedy
    [InlineData("hf-arith", "weighted-best-of-n", null, 0.8, 1.0, 160, 0, 0)] // the folder's own recipe.json
    [InlineData("gen-small", "weighted-best-of-n", null, 0.8, 1.0, 128, 0, 0)] // no recipe: the Router's settings
    public void The_generators_recipe_sets_what_the_batch_leaves_open(string generator, string strategy, int? beamWidth,
        double temperature, double topP, int maxNewTokens, int expectedBeamWidth, int iterations)
    {
        var decision = Planner().Plan(Batch(strategy, generator, beamWidth));
        Assert.Null(decision.Rejection);
        var plan = Assert.Single(decision.Runs).Plan!;
        Assert.Equal((temperature, topP, maxNewTokens, expectedBeamWidth, iterations), (plan.Temperature, plan.TopP, plan.MaxNewTokens, plan.BeamWidth, plan.Iterations));
    }

    [Fact]
    public void An_unreadable_recipe_refuses_the_batch_naming_the_field_and_the_file()
    {
        var decision = Planner().Plan(Batch("beam-search", "llama-broken"));
        Assert.Equal("GeneratorModel", decision.Rejection!.Field);
        Assert.Contains("broken.json", decision.Rejection.Reason);
        Assert.Contains("temperature must be between 0 and 10 (was -1)", decision.Rejection.Reason);
    }
}
