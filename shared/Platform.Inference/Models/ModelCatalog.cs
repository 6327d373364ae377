using System.Collections.Concurrent;
using Platform.Inference.Runtime;

namespace Platform.Inference.Models;

/// <summary>Bound from the <c>Models</c> section.</summary>
public sealed class ModelsOptions
{
    public const string Section = "Models";

    /// <summary>Folder holding one sub-folder per model; when unset, the repository's <c>models/</c> is searched upwards.</summary>
    public string? Directory { get; set; }

    /// <summary>The generator used when a plan names none.</summary>
    public string DefaultGenerator { get; set; } = "gen-small";

    /// <summary>The verifier used when a plan names none.</summary>
    public string DefaultVerifier { get; set; } = "prm";

    /// <summary>
    /// Model folders by name (<c>Models:Catalog:NAME=FOLDER</c>): a Hugging Face export anywhere on disk
    /// becomes a model callers can name. Sub-folders of <see cref="Directory"/> are catalog models too.
    /// </summary>
    public Dictionary<string, string> Catalog { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A recipe file per model name (<c>Models:Recipes:NAME=FILE</c>), used instead of the folder's own.</summary>
    public Dictionary<string, string> Recipes { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Models by name, loaded on first use and kept open (one session per model per process).</summary>
public sealed class ModelCatalog(ModelsOptions models, InferenceOptions inference) : IDisposable
{
    private readonly ConcurrentDictionary<(string Name, int Threads), Lazy<DecoderSession>> _decoders = new();
    private readonly ConcurrentDictionary<string, Lazy<PrmScorer>> _scorers = new();
    private readonly ConcurrentDictionary<string, Lazy<Recipe?>> _recipes = new();
    private readonly ConcurrentDictionary<string, Lazy<string>> _delimiters = new();
    private readonly ConcurrentDictionary<string, Lazy<bool>> _chat = new();
    private readonly ConcurrentDictionary<string, Lazy<CatalogEntry?>> _entries = new();

    /// <summary>The folder whose sub-folders are models; null when only <see cref="ModelsOptions.Catalog"/> names models and no folder is found.</summary>
    public string? Root { get; } = models.Catalog.Count > 0 && models.Directory is null ? TryResolveRoot() : ResolveRoot(models.Directory);

    private static string? TryResolveRoot()
    {
        try
        {
            return ResolveRoot(null);
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    public static string ResolveRoot(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var full = Path.GetFullPath(configured);
            return System.IO.Directory.Exists(full) ? full
                : throw new DirectoryNotFoundException($"Models:Directory '{configured}' does not exist");
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "models");
                if (System.IO.Directory.Exists(candidate) && System.IO.Directory.EnumerateFiles(candidate, ModelManifest.FileName, SearchOption.AllDirectories).Any())
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException("no models folder found: set Models:Directory (environment variable Models__Directory)");
    }

    public bool Exists(string name) => Folder(name) is not null;

    /// <summary>The folder of a catalog name: a <see cref="ModelsOptions.Catalog"/> entry, else a sub-folder of <see cref="Root"/>; null when the name is not a model.</summary>
    public string? Folder(string name) =>
        !IsSafeName(name) ? null
        : models.Catalog.TryGetValue(name, out var folder) ? Path.GetFullPath(folder)
        : Root is not null && System.IO.Directory.Exists(Path.Combine(Root, name)) ? Path.Combine(Root, name)
        : null;

    /// <summary>Every name callers may use, sorted.</summary>
    public IReadOnlyList<string> Names() =>
        [.. models.Catalog.Keys.Concat(Root is null ? [] : System.IO.Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>())
            .Where(n => IsSafeName(n) && Folder(n) is not null).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>A model folder loaded with its configured recipe (<see cref="ModelsOptions.Recipes"/>), if any.</summary>
    public ModelDirectory Load(string name)
    {
        var model = ModelDirectory.Load(Folder(Check(name))!);
        return models.Recipes.TryGetValue(name, out var recipe) ? model.WithRecipe(Recipe.Load(recipe)) : model;
    }

    /// <summary>
    /// The recipe a catalog model is run with when a batch names it: <see cref="ModelsOptions.Recipes"/>'s
    /// file for the name, else the folder's own <c>recipe.json</c>; null when neither exists (the plan's
    /// own settings apply). Read once; an invalid file is an <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public Recipe? PublishedRecipe(string name) =>
        _recipes.GetOrAdd(Check(name), n => new Lazy<Recipe?>(() =>
            models.Recipes.TryGetValue(n, out var file) ? Recipe.Load(file)
            : File.Exists(Path.Combine(Folder(n)!, Recipe.FileName)) ? Recipe.Load(Path.Combine(Folder(n)!, Recipe.FileName))
            : null)).Value;

    /// <summary>
    /// What ends a step in a catalog generator's text: its run recipe's delimiter (the configured recipe, the
    /// folder's recipe.json, or what its manifest implies). Read once.
    /// </summary>
    public string StepDelimiter(string name) =>
        _delimiters.GetOrAdd(Check(name), n => new Lazy<string>(() => PublishedRecipe(n)?.StepDelimiter ?? ModelDirectory.Load(Folder(n)!).Recipe.StepDelimiter)).Value;

    /// <summary>Whether a catalog model renders conversations with a chat template (its folder's, or its configured recipe's). Read once.</summary>
    public bool UsesChatTemplate(string name) =>
        _chat.GetOrAdd(Check(name), n => new Lazy<bool>(() => Load(n).UsesChatTemplate)).Value;

    /// <summary>
    /// What a catalog name is, for listings (<c>GET /v1/models</c>): a generator or a verifier with its size and
    /// what it can do; null for a name whose folder holds no model the platform can read (a folder of folders).
    /// Read once.
    /// </summary>
    public CatalogEntry? Describe(string name) =>
        _entries.GetOrAdd(Check(name), n => new Lazy<CatalogEntry?>(() =>
        {
            try
            {
                var model = Load(n);
                var m = model.Manifest;
                var generator = m.Kind == "decoder";
                return new CatalogEntry(n, generator ? "generator" : "verifier", m.Architecture.Type, m.Architecture.Context, m.Parameters, generator && model.UsesChatTemplate,
                    generator
                        ? [.. Platform.Reasoning.Planning.Strategies.All.Where(st => st != Platform.Reasoning.Planning.Strategies.BudgetForcing || m.EndOfThinking is { Length: > 0 })]
                        : [m.Kind == "prm" ? "process rewards (a score per step)" : "outcome rewards (one score per solution)"]);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or System.Text.Json.JsonException)
            {
                return null;
            }
        })).Value;

    /// <summary>The catalog name whose folder is <paramref name="folder"/> (a configured entry first), or null.</summary>
    public string? NameOf(string folder)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        return Names().FirstOrDefault(n => string.Equals(Path.TrimEndingDirectorySeparator(Folder(n)!), full, StringComparison.Ordinal));
    }

    public DecoderSession Decoder(string name) => Decoder(name, inference.IntraOpThreads);

    /// <summary>A decoder whose forward passes use the given ONNX Runtime threads (0: ONNX Runtime's default); one session per model and thread count.</summary>
    public DecoderSession Decoder(string name, int intraOpThreads) =>
        _decoders.GetOrAdd((Check(name), intraOpThreads), key => new Lazy<DecoderSession>(() => DecoderSession.Open(Load(key.Name),
            inference.WithIntraOpThreads(key.Threads)))).Value;

    public PrmScorer Scorer(string name) =>
        _scorers.GetOrAdd(Check(name), n => new Lazy<PrmScorer>(() => PrmScorer.Open(Load(n), inference))).Value;

    /// <summary>The prefix caches of the generators and of the verifiers opened so far, each kind summed.</summary>
    public (PrefixCacheStats Generators, PrefixCacheStats Verifiers) PrefixCaches() =>
        (_decoders.Values.Where(l => l.IsValueCreated).Aggregate(PrefixCacheStats.Zero, (a, d) => a + d.Value.Prefixes.Stats()),
         _scorers.Values.Where(l => l.IsValueCreated && l.Value.Prefixes is not null).Aggregate(PrefixCacheStats.Zero, (a, v) => a + v.Value.Prefixes!.Stats()));

    private string Check(string name)
    {
        if (!Exists(name))
        {
            throw new UnknownModelException($"unknown model '{name}' (not in Models:Catalog{(Root is null ? "" : $" nor a folder under {Root}")})");
        }

        return name;
    }

    private static bool IsSafeName(string name) => Platform.Reasoning.Planning.ModelNames.Problem(name) is null;

    public void Dispose()
    {
        foreach (var d in _decoders.Values.Where(l => l.IsValueCreated))
        {
            d.Value.Dispose();
        }

        foreach (var s in _scorers.Values.Where(l => l.IsValueCreated))
        {
            s.Value.Dispose();
        }
    }
}

/// <summary>A catalog model as listings show it: its kind (generator or verifier), size, and what it supports.</summary>
public sealed record CatalogEntry(string Name, string Kind, string Architecture, int Context, long Parameters, bool ChatTemplate, IReadOnlyList<string> Supports);

public sealed class UnknownModelException(string message) : Exception(message);
