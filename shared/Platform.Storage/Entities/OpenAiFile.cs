namespace Platform.Storage.Entities;

/// <summary>A file uploaded to the OpenAI-compatible Files API (purpose batch); its lines are <see cref="OpenAiFileLine"/> rows.</summary>
public class OpenAiFile
{
    /// <summary>"file-" and 32 hex digits.</summary>
    public string Id { get; set; } = "";
    public string Purpose { get; set; } = "";
    public string FileName { get; set; } = "";
    public long Bytes { get; set; }
    public int LineCount { get; set; }

    /// <summary>The API key's name that uploaded it: other keys do not see it.</summary>
    public string Submitter { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One non-empty line of an uploaded file, as sent (a JSON request line of a batch input file).</summary>
public class OpenAiFileLine
{
    public string FileId { get; set; } = "";

    /// <summary>The line's number in the file, from 1.</summary>
    public int Line { get; set; }

    public string Text { get; set; } = "";
}

/// <summary>
/// A batch created through the OpenAI-compatible Batch API: the platform batch of the same id runs its valid
/// lines (one problem per line, custom_id as the problem's external id); the lines refused are <see cref="OpenAiBatchError"/> rows.
/// </summary>
public class OpenAiBatch
{
    public Guid Id { get; set; }
    public string InputFileId { get; set; } = "";

    /// <summary>/v1/chat/completions or /v1/completions.</summary>
    public string Endpoint { get; set; } = "";

    public string CompletionWindow { get; set; } = "";

    /// <summary>The model as the lines name it (the response bodies repeat it).</summary>
    public string Model { get; set; } = "";

    /// <summary>The lines ask for plain samples (no strategy): every sample is a choice.</summary>
    public bool AllSamples { get; set; }

    /// <summary>The caller's metadata object, as JSON.</summary>
    public string? MetadataJson { get; set; }

    /// <summary>Request lines in the input file; <see cref="ErrorCount"/> of them were refused before running.</summary>
    public int RequestTotal { get; set; }

    public int ErrorCount { get; set; }
    public string Submitter { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When a Router took the batch to validate its lines (a claim older than a few minutes is taken again).</summary>
    public DateTimeOffset? ClaimedAt { get; set; }

    /// <summary>When its lines were read and the valid ones sent as the platform batch; null while validating.</summary>
    public DateTimeOffset? ValidatedAt { get; set; }
}

/// <summary>A batch input line refused before it ran: the line, its custom_id and why.</summary>
public class OpenAiBatchError
{
    public Guid BatchId { get; set; }
    public int Line { get; set; }
    public string? CustomId { get; set; }
    public string Code { get; set; } = "";
    public string Message { get; set; } = "";
    public string? Param { get; set; }
}
