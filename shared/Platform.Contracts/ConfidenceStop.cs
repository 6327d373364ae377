namespace Platform.Contracts;

/// <summary>DeepConf online: the Generator ends a sample once the mean confidence of its last <see cref="Window"/> tokens falls below <see cref="Threshold"/>.</summary>
public record ConfidenceStop
{
    public double Threshold { get; init; }
    public int Window { get; init; }
}
