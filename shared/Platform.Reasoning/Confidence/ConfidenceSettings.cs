using System.Globalization;

namespace Platform.Reasoning.Confidence;

/// <summary>
/// How a run reads and uses its traces' confidence, as plans carry it:
/// "measure=lowest-group,keep=90,window=2048,warmup=16,top-k=20". <see cref="Measure"/> ranks the traces,
/// <see cref="KeepPercent"/> (η) of them vote; <see cref="Window"/> is the group window and tail length in
/// tokens; <see cref="Warmup"/> &gt; 0 makes it DeepConf online (that many warm-up traces set the stopping
/// threshold); <see cref="TopK"/> is the k of each token's confidence. Defaults are DeepConf's, except
/// η = 90 (its conservative variant).
/// </summary>
public sealed record ConfidenceSettings
{
    public ConfidenceMeasure Measure { get; init; } = ConfidenceMeasure.LowestGroup;
    public double KeepPercent { get; init; } = 90;
    public int Window { get; init; } = TraceConfidence.DefaultWindow;
    public int Warmup { get; init; }
    public int TopK { get; init; } = TraceConfidence.DefaultTopK;

    /// <summary>The most top log-probabilities a token's confidence may be read from (the Generator's limit too).</summary>
    public const int MaxTopK = 100;

    public void Validate()
    {
        if (KeepPercent is <= 0 or > 100 || double.IsNaN(KeepPercent))
        {
            throw new ArgumentException($"confidence keep must be a percentage within (0, 100] (was {KeepPercent})");
        }

        if (Window < 1 || Window > 1_000_000)
        {
            throw new ArgumentException($"confidence window must be within 1..1000000 tokens (was {Window})");
        }

        if (Warmup < 0)
        {
            throw new ArgumentException($"confidence warmup must be >= 0 traces (was {Warmup})");
        }

        if (TopK is < 1 or > MaxTopK)
        {
            throw new ArgumentException($"confidence top-k must be within 1..{MaxTopK} (was {TopK})");
        }

        if (Warmup > 0 && Measure != ConfidenceMeasure.LowestGroup)
        {
            throw new ArgumentException($"online stopping (warmup > 0) compares each trace's window confidence with the threshold, so its measure is lowest-group (was {ConfidenceMeasures.Name(Measure)})");
        }
    }

    private static readonly string[] Keys = ["measure", "keep", "window", "warmup", "top-k"];

    [System.Text.Json.Serialization.JsonIgnore]
    public string Spec => string.Create(CultureInfo.InvariantCulture,
        $"measure={ConfidenceMeasures.Name(Measure)},keep={KeepPercent},window={Window},warmup={Warmup},top-k={TopK}");

    /// <summary>Reads a spec like <see cref="Spec"/>; keys left out keep their defaults; "on" (or "") is all defaults.</summary>
    public static ConfidenceSettings Parse(string? spec)
    {
        var settings = new ConfidenceSettings();
        foreach (var (key, value) in Planning.SettingSpec.Pairs(spec, "confidence", Keys))
        {
            settings = key switch
            {
                "measure" => settings with { Measure = ConfidenceMeasures.Parse(value) },
                "keep" => settings with { KeepPercent = Planning.SettingSpec.Number("confidence", key, value, integer: false) },
                "window" => settings with { Window = (int)Planning.SettingSpec.Number("confidence", key, value, integer: true) },
                "warmup" => settings with { Warmup = (int)Planning.SettingSpec.Number("confidence", key, value, integer: true) },
                _ => settings with { TopK = (int)Planning.SettingSpec.Number("confidence", key, value, integer: true) },
            };
        }

        settings.Validate();
        return settings;
    }
}
