namespace Platform.Router.OpenAi;

/// <summary>The OpenAI-compatible API's ids: batch_HEX for a batch (the platform batch's id), file-HEX for an upload, file-HEX-output and file-HEX-errors for a batch's results.</summary>
public static class OpenAiIds
{
    public static string Batch(Guid id) => "batch_" + id.ToString("N");

    public static string Output(Guid batch) => "file-" + batch.ToString("N") + "-output";

    public static string Errors(Guid batch) => "file-" + batch.ToString("N") + "-errors";

    public static string Request(Guid run) => "batch_req_" + run.ToString("N");

    public static Guid? ParseBatch(string id) => id.StartsWith("batch_", StringComparison.Ordinal) && Guid.TryParseExact(id["batch_".Length..], "N", out var g) ? g : null;

    /// <summary>A result file's batch and whether it is the error file; null for any other id.</summary>
    public static (Guid Batch, bool Errors)? ParseResultFile(string id)
    {
        foreach (var (suffix, errors) in new[] { ("-output", false), ("-errors", true) })
        {
            if (id.StartsWith("file-", StringComparison.Ordinal) && id.EndsWith(suffix, StringComparison.Ordinal)
                && Guid.TryParseExact(id["file-".Length..^suffix.Length], "N", out var g))
            {
                return (g, errors);
            }
        }

        return null;
    }
}
