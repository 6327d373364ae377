using Platform.Inference.Models;
using Platform.Inference.Runtime;

namespace Platform.Inference.Tests;

/// <summary>The catalog: model folders by name (Models:Catalog, and the sub-folders of Models:Directory), each with its configured recipe.</summary>
public sealed class ModelCatalogTests
{
    [Fact]
    public void Catalog_entries_name_folders_anywhere_and_carry_their_recipe()
    {
        var options = new ModelsOptions
        {
            Directory = Repository.Path("models"),
            Catalog = { ["qwen-local"] = Repository.Path("models/hf-test/qwen2-tied") },
            Recipes = { ["qwen-local"] = Repository.Path("recipes/arith-chat.json") },
        };
        using var catalog = new ModelCatalog(options, new InferenceOptions { IntraOpThreads = 1 });
        Assert.True(catalog.Exists("qwen-local"));
        Assert.True(catalog.Exists("gen-small"));
        Assert.False(catalog.Exists("hf-test/qwen2-tied")); // a path is never a name
        Assert.False(catalog.Exists("Qwen2.5-Math-PRM-7B"));
        Assert.Contains("qwen-local", catalog.Names());
        Assert.Contains("gen-small", catalog.Names());

        var model = catalog.Load("qwen-local");
        Assert.Equal("arith-chat", model.Recipe.Name);
        Assert.Contains("Solve the arithmetic problem one operation per line", model.Prompt("2+3"), StringComparison.Ordinal);
        Assert.Throws<UnknownModelException>(() => catalog.Decoder("missing-model"));

        // The recipe a batch naming the model runs with: the configured file, else the folder's recipe.json, else none.
        Assert.Equal("arith-chat", catalog.PublishedRecipe("qwen-local")!.Name);
        Assert.Equal(160, catalog.PublishedRecipe("hf-arith")!.MaxNewTokens);
        Assert.Null(catalog.PublishedRecipe("gen-small"));

        // A folder path to the name the catalog gives it (what ttc submit sends).
        Assert.Equal("qwen-local", catalog.NameOf(Repository.Path("models/hf-test/qwen2-tied") + "/"));
        Assert.Equal("gen-small", catalog.NameOf(Repository.Path("models/gen-small")));
        Assert.Null(catalog.NameOf(Path.GetTempPath()));
    }
}
