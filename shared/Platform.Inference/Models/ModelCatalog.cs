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
}

/// <summary>Models by name, loaded on first use and kept open (one session per model per process).</summary>
public sealed class ModelCatalog(ModelsOptions models, InferenceOptions inference) : IDisposable
{
    private readonly ConcurrentDictionary<(string Name, int Threads), Lazy<DecoderSession>> _decoders = new();
    private readonly ConcurrentDictionary<string, Lazy<PrmScorer>> _scorers = new();

    public string Root { get; } = ResolveRoot(models.Directory);

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

    public bool Exists(string name) => IsSafeName(name) && System.IO.Directory.Exists(Path.Combine(Root, name));

    public DecoderSession Decoder(string name) => Decoder(name, inference.IntraOpThreads);

    /// <summary>A decoder whose forward passes use the given ONNX Runtime threads (0: ONNX Runtime's default); one session per model and thread count.</summary>
    public DecoderSession Decoder(string name, int intraOpThreads) =>
        _decoders.GetOrAdd((Check(name), intraOpThreads), key => new Lazy<DecoderSession>(() => DecoderSession.Open(ModelDirectory.Load(Path.Combine(Root, key.Name)),
            inference.WithIntraOpThreads(key.Threads)))).Value;

    public PrmScorer Scorer(string name) =>
        _scorers.GetOrAdd(Check(name), n => new Lazy<PrmScorer>(() => PrmScorer.Open(ModelDirectory.Load(Path.Combine(Root, n)), inference))).Value;

    private string Check(string name)
    {
        if (!Exists(name))
        {
            throw new UnknownModelException($"unknown model '{name}' (not a folder under {Root})");
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

public sealed class UnknownModelException(string message) : Exception(message);
