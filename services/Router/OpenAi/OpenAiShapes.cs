using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Platform.Router.OpenAi;

// The response bodies of the OpenAI-compatible API, in OpenAI's field names (docs/api.md maps them to the platform's).

/// <summary>A chat completion (<c>object</c> chat.completion) or a text completion (<c>object</c> text_completion).</summary>
public sealed record Completion
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("object")] public string Object { get; init; } = "chat.completion";
    [JsonPropertyName("created")] public long Created { get; init; }
    [JsonPropertyName("model")] public string Model { get; init; } = "";
    [JsonPropertyName("choices")] public IReadOnlyList<CompletionChoice> Choices { get; init; } = [];
    [JsonPropertyName("usage")] public CompletionUsage? Usage { get; init; }

    /// <summary>The platform's own account of the test-time compute spent (not in OpenAI's API).</summary>
    [JsonPropertyName("ttc_usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public TtcUsage? TtcUsage { get; init; }

    [JsonPropertyName("system_fingerprint")] public string? SystemFingerprint { get; init; }
}

/// <summary>One choice: <c>message</c> in a chat completion, <c>text</c> in a text completion, <c>delta</c> in a stream chunk.</summary>
public sealed record CompletionChoice
{
    [JsonPropertyName("index")] public int Index { get; init; }
    [JsonPropertyName("message"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public AssistantMessage? Message { get; init; }
    [JsonPropertyName("delta"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public AssistantDelta? Delta { get; init; }
    [JsonPropertyName("text"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Text { get; init; }
    [JsonPropertyName("logprobs")] public object? Logprobs { get; init; }
    [JsonPropertyName("finish_reason")] public string? FinishReason { get; init; }
}

public sealed record AssistantMessage
{
    [JsonPropertyName("role")] public string Role { get; init; } = "assistant";
    [JsonPropertyName("content")] public string Content { get; init; } = "";
    [JsonPropertyName("refusal")] public string? Refusal { get; init; }
}

public sealed record AssistantDelta
{
    [JsonPropertyName("role"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Role { get; init; }
    [JsonPropertyName("content"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Content { get; init; }
}

/// <summary>OpenAI's usage: <c>completion_tokens</c> counts every token generated for the request (every sample, every search step).</summary>
public sealed record CompletionUsage
{
    [JsonPropertyName("prompt_tokens")] public long PromptTokens { get; init; }
    [JsonPropertyName("completion_tokens")] public long CompletionTokens { get; init; }
    [JsonPropertyName("total_tokens")] public long TotalTokens { get; init; }
    [JsonPropertyName("prompt_tokens_details")] public PromptTokenDetails PromptTokensDetails { get; init; } = new();
}

public sealed record PromptTokenDetails
{
    [JsonPropertyName("cached_tokens")] public long CachedTokens { get; init; }
}

/// <summary>What the platform spent on one request, as its batch results report it.</summary>
public sealed record TtcUsage
{
    [JsonPropertyName("strategy")] public string Strategy { get; init; } = "";
    [JsonPropertyName("n")] public int N { get; init; }

    /// <summary>Candidates the run generated: whole samples, or nodes of a search tree.</summary>
    [JsonPropertyName("samples")] public int Samples { get; init; }

    [JsonPropertyName("generated_tokens")] public long GeneratedTokens { get; init; }
    [JsonPropertyName("scored_tokens")] public long ScoredTokens { get; init; }

    /// <summary>Scored tokens read from the verifier's prefix cache, not computed (part of scored_tokens).</summary>
    [JsonPropertyName("cached_scored_tokens")] public long CachedScoredTokens { get; init; }

    [JsonPropertyName("flops")] public double Flops { get; init; }
    [JsonPropertyName("device_ms")] public double DeviceMilliseconds { get; init; }
    [JsonPropertyName("difficulty_bin")] public int DifficultyBin { get; init; }
    [JsonPropertyName("difficulty_source")] public string DifficultySource { get; init; } = "";

    /// <summary>The answer extracted from the chosen text, as graded.</summary>
    [JsonPropertyName("answer")] public string? Answer { get; init; }

    [JsonPropertyName("batch_id")] public Guid BatchId { get; init; }
    [JsonPropertyName("run_id")] public Guid RunId { get; init; }
}

/// <summary>OpenAI's error body: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
public sealed record ErrorBody
{
    [JsonPropertyName("error")] public ErrorDetail Error { get; init; } = new();
}

public sealed record ErrorDetail
{
    [JsonPropertyName("message")] public string Message { get; init; } = "";
    [JsonPropertyName("type")] public string Type { get; init; } = "invalid_request_error";
    [JsonPropertyName("param")] public string? Param { get; init; }
    [JsonPropertyName("code")] public string? Code { get; init; }
}

/// <summary>A catalog model, with what the platform can do with it.</summary>
public sealed record ModelEntry
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("object")] public string Object { get; init; } = "model";
    [JsonPropertyName("created")] public long Created { get; init; }
    [JsonPropertyName("owned_by")] public string OwnedBy { get; init; } = "ttc";

    /// <summary>generator or verifier.</summary>
    [JsonPropertyName("ttc_kind")] public string Kind { get; init; } = "";

    [JsonPropertyName("ttc_architecture")] public string Architecture { get; init; } = "";
    [JsonPropertyName("ttc_context")] public int Context { get; init; }
    [JsonPropertyName("ttc_parameters")] public long Parameters { get; init; }

    /// <summary>Generators: conversations are rendered with a chat template (otherwise one user turn through the recipe).</summary>
    [JsonPropertyName("ttc_chat_template")] public bool ChatTemplate { get; init; }

    /// <summary>What the model takes part in: the strategies a generator runs, or what a verifier scores (steps or outcomes).</summary>
    [JsonPropertyName("ttc_supports")] public IReadOnlyList<string> Supports { get; init; } = [];
}

public sealed record ListOf<T>
{
    [JsonPropertyName("object")] public string Object { get; init; } = "list";
    [JsonPropertyName("data")] public IReadOnlyList<T> Data { get; init; } = [];
    [JsonPropertyName("first_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? FirstId { get; init; }
    [JsonPropertyName("last_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? LastId { get; init; }
    [JsonPropertyName("has_more")] public bool HasMore { get; init; }
}

/// <summary>An uploaded file, or a batch's output or error file.</summary>
public sealed record FileObject
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("object")] public string Object { get; init; } = "file";
    [JsonPropertyName("bytes")] public long Bytes { get; init; }
    [JsonPropertyName("created_at")] public long CreatedAt { get; init; }
    [JsonPropertyName("filename")] public string FileName { get; init; } = "";
    [JsonPropertyName("purpose")] public string Purpose { get; init; } = "batch";
    [JsonPropertyName("status")] public string Status { get; init; } = "processed";
}

public sealed record FileDeleted
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("object")] public string Object { get; init; } = "file";
    [JsonPropertyName("deleted")] public bool Deleted { get; init; }
}

/// <summary>A batch in OpenAI's shape; its status and counts come from the platform batch of the same id.</summary>
public sealed record BatchObject
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("object")] public string Object { get; init; } = "batch";
    [JsonPropertyName("endpoint")] public string Endpoint { get; init; } = "";
    [JsonPropertyName("errors")] public ListOf<BatchLineError>? Errors { get; init; }
    [JsonPropertyName("input_file_id")] public string InputFileId { get; init; } = "";
    [JsonPropertyName("completion_window")] public string CompletionWindow { get; init; } = "24h";

    /// <summary>validating, failed, in_progress, finalizing, completed, cancelling or cancelled.</summary>
    [JsonPropertyName("status")] public string Status { get; init; } = "";

    [JsonPropertyName("output_file_id")] public string? OutputFileId { get; init; }
    [JsonPropertyName("error_file_id")] public string? ErrorFileId { get; init; }
    [JsonPropertyName("created_at")] public long CreatedAt { get; init; }
    [JsonPropertyName("in_progress_at")] public long? InProgressAt { get; init; }
    [JsonPropertyName("expires_at")] public long? ExpiresAt { get; init; }
    [JsonPropertyName("finalizing_at")] public long? FinalizingAt { get; init; }
    [JsonPropertyName("completed_at")] public long? CompletedAt { get; init; }
    [JsonPropertyName("failed_at")] public long? FailedAt { get; init; }
    [JsonPropertyName("expired_at")] public long? ExpiredAt { get; init; }
    [JsonPropertyName("cancelling_at")] public long? CancellingAt { get; init; }
    [JsonPropertyName("cancelled_at")] public long? CancelledAt { get; init; }
    [JsonPropertyName("request_counts")] public RequestCounts RequestCounts { get; init; } = new();
    [JsonPropertyName("metadata")] public JsonObject? Metadata { get; init; }
}

public sealed record RequestCounts
{
    [JsonPropertyName("total")] public int Total { get; init; }
    [JsonPropertyName("completed")] public int Completed { get; init; }
    [JsonPropertyName("failed")] public int Failed { get; init; }
}

/// <summary>A batch-level validation error (a batch that failed before any line ran lists its lines' errors here).</summary>
public sealed record BatchLineError
{
    [JsonPropertyName("code")] public string Code { get; init; } = "";
    [JsonPropertyName("message")] public string Message { get; init; } = "";
    [JsonPropertyName("param")] public string? Param { get; init; }
    [JsonPropertyName("line")] public int? Line { get; init; }
}

/// <summary>A line of a batch's output or error file.</summary>
public sealed record BatchOutputLine
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("custom_id")] public string? CustomId { get; init; }
    [JsonPropertyName("response")] public BatchResponse? Response { get; init; }
    [JsonPropertyName("error")] public BatchLineError? Error { get; init; }
}

public sealed record BatchResponse
{
    [JsonPropertyName("status_code")] public int StatusCode { get; init; } = 200;
    [JsonPropertyName("request_id")] public string RequestId { get; init; } = "";
    [JsonPropertyName("body")] public Completion? Body { get; init; }
}
