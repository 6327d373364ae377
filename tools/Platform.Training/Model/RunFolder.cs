using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Training.Model;

public sealed record RunInfo(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("config")] GptConfig Config,
    [property: JsonPropertyName("settings")] TrainSettings Settings,
    [property: JsonPropertyName("summary")] TrainingSummary Summary,
    [property: JsonPropertyName("heldout_problems_skipped")] long HeldOutSkipped,
    [property: JsonPropertyName("heldout_file")] string? HeldOutFile,
    [property: JsonPropertyName("initialized_from")] string? InitializedFrom = null,
    [property: JsonPropertyName("data")] string? Data = null)
{
    /// <summary>For verifiers: the step-label source of the data ("rollouts" or "checker") and what was learned ("process" or "outcome").</summary>
    [JsonPropertyName("labels")] public string? Labels { get; init; }

    [JsonPropertyName("examples")] public int? Examples { get; init; }

    /// <summary>For a revision model: earlier attempts it was trained to read, at most.</summary>
    [JsonPropertyName("revision_attempts")] public int? RevisionAttempts { get; init; }

    /// <summary>For a revision model: share of trajectories that end in a right attempt to keep.</summary>
    [JsonPropertyName("keep_share")] public double? KeepShare { get; init; }
}

/// <summary>A training run's folder: weights, curve and the record of how it was made.</summary>
public sealed class RunFolder
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public RunFolder(DirectoryInfo directory)
    {
        Directory = directory;
        directory.Create();
    }

    public DirectoryInfo Directory { get; }
    public string Weights => Path.Combine(Directory.FullName, "weights.dat");
    public string Curve => Path.Combine(Directory.FullName, "curve.jsonl");
    public string InfoPath => Path.Combine(Directory.FullName, "run.json");

    /// <summary>The model's shape, written when training starts so checkpoints can be loaded before the run ends.</summary>
    public string ConfigPath => Path.Combine(Directory.FullName, "config.json");

    public void SaveConfig(GptConfig config) => File.WriteAllText(ConfigPath, JsonSerializer.Serialize(config, Json));

    public string Checkpoint(int step) => Path.Combine(Directory.FullName, "checkpoints", $"step-{step}.dat");

    public void SaveCheckpoint(Gpt model, int step)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Checkpoint(step))!);
        model.save(Checkpoint(step));
    }

    public void Save(Gpt model, RunInfo info)
    {
        model.save(Weights);
        File.WriteAllText(InfoPath, JsonSerializer.Serialize(info, Json));
    }

    public RunInfo Info => JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(InfoPath), Json)
        ?? throw new InvalidDataException($"{InfoPath} is empty");

    /// <summary>The final weights, or those saved at <paramref name="step"/>.</summary>
    public Gpt Load(int? step = null)
    {
        var config = File.Exists(InfoPath) ? Info.Config
            : File.Exists(ConfigPath) ? JsonSerializer.Deserialize<GptConfig>(File.ReadAllText(ConfigPath), Json)!
            : throw new FileNotFoundException($"{Directory.FullName} has neither run.json nor config.json");
        var model = new Gpt(config);
        model.load(step is { } s ? Checkpoint(s) : Weights);
        model.eval();
        return model;
    }
}
