using Platform.Inference.Models;

namespace Platform.Inference.Tests;

/// <summary>Recipes: how a model is prompted and stepped (recipes/*.json).</summary>
public sealed class RecipeTests
{
    [Theory]
    [InlineData("search-and-learn-math500.json")]
    [InlineData("arith.json")]
    [InlineData("arith-chat.json")]
    public void Shipped_recipes_load(string file) => Assert.NotNull(Recipe.Load(Repository.Path($"recipes/{file}")));

    [Fact]
    public void Search_and_learn_has_its_published_settings()
    {
        var r = Recipe.Load(Repository.Path("recipes/search-and-learn-math500.json"));
        Assert.Equal((0.8, 1.0, 2048, 4, 40, "\n\n"), (r.Temperature, r.TopP, r.MaxNewTokens, r.BeamWidth!.Value, r.Iterations!.Value, r.StepDelimiter));
        Assert.StartsWith("Solve the following math problem efficiently and clearly:", r.SystemPrompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Search_and_learn_prompts_a_llama_with_its_own_template_and_the_tokenizers_BOS()
    {
        var model = ModelDirectory.Load(Repository.Path("models/hf-test/llama-gqa"))
            .WithRecipe(Recipe.Load(Repository.Path("recipes/search-and-learn-math500.json")));
        var prompt = model.Prompt("  What is 1+1?  ");
        Assert.StartsWith("<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: ", prompt, StringComparison.Ordinal);
        Assert.EndsWith("<|start_header_id|>user<|end_header_id|>\n\n  What is 1+1?  <|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", prompt, StringComparison.Ordinal); // content not trimmed
        var ids = model.EncodePrompt(prompt);
        var bos = model.Manifest.SpecialTokens.Bos!.Value;
        Assert.Equal(bos, ids[0]);
        Assert.Equal(1, ids.Count(id => id == bos));

        // The model's own template writes the BOS itself, so nothing is added.
        var own = ModelDirectory.Load(Repository.Path("models/hf-test/llama-gqa"));
        var ownIds = own.EncodePrompt(own.Prompt("What is 1+1?"));
        Assert.Equal(bos, ownIds[0]);
        Assert.Equal(1, ownIds.Count(id => id == bos));
    }

    [Theory]
    [InlineData("{\"user_template\": \"no placeholder\"}", "user_template must contain {problem}")]
    [InlineData("{\"top_p\": 0}", "top_p must be in (0, 1]")]
    [InlineData("{\"max_new_tokens\": 0}", "max_new_tokens must be between 1 and 131072")]
    [InlineData("{\"beam_width\": 0}", "beam_width must be at least 1")]
    [InlineData("{\"temprature\": 0.7}", "temprature")]
    public void A_bad_recipe_is_refused_naming_the_field(string json, string expected)
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, json);
            var e = Assert.Throws<InvalidDataException>(() => Recipe.Load(file));
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
