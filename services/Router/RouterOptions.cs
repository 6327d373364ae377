namespace Platform.Router;

/// <summary>Bound from the <c>Router</c> section.</summary>
public sealed class RouterOptions
{
    public const string Section = "Router";

    /// <summary>Longest problem text accepted, in UTF-8 bytes; longer problems fail with this limit named.</summary>
    public int MaxProblemTextBytes { get; set; } = 8192;

    public int MaxProblemsPerBatch { get; set; } = 100_000;

    public string DefaultGenerator { get; set; } = "gen-small";
    public string DefaultVerifier { get; set; } = "prm";

    /// <summary>The revision model of sequential-revisions plans when a batch names none.</summary>
    public string DefaultReviser { get; set; } = "gen-revise";

    /// <summary>Tokens a sample may generate.</summary>
    public int MaxNewTokens { get; set; } = 128;

    /// <summary>The most tokens a batch (or an OpenAI-compatible request's max_tokens) may ask one sample to generate.</summary>
    public int MaxNewTokensLimit { get; set; } = 4096;

    /// <summary>Every endpoint but health needs <c>Authorization: Bearer &lt;key&gt;</c> (keys: <c>ttc keys create</c>).</summary>
    public bool RequireApiKey { get; set; } = true;

    /// <summary>Requests per minute one key may make (token bucket; 429 past it).</summary>
    public int RequestsPerMinutePerKey { get; set; } = 600;

    /// <summary>Largest request body, in bytes (413 past it). 100,000 short problems take about 8 MB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 32L << 20;

    /// <summary>
    /// The fitted compute-optimal policy (written by <c>ttc policy fit --out</c>) that
    /// <c>--strategy compute-optimal</c> follows. Unset: <c>models/policy.json</c>, looked for upwards
    /// from the program's folder and the working directory.
    /// </summary>
    public string? PolicyFile { get; set; }

    /// <summary>
    /// A batch sent in parts whose remaining parts have not arrived this long after the last one stored fails
    /// their problems, so it ends (seconds; longer than a part's retries, about 5 minutes).
    /// </summary>
    public int MissingPartsSeconds { get; set; } = 900;

    /// <summary>How often batches with missing parts are looked for (seconds).</summary>
    public int MissingPartsCheckSeconds { get; set; } = 30;

    /// <summary>The longest a synchronous OpenAI-compatible request waits for its run (seconds); past it the run is cancelled and the caller gets 504.</summary>
    public int OpenAiWaitSeconds { get; set; } = 600;

    /// <summary>How often the active stored policy version is read again (seconds).</summary>
    public int PolicyRefreshSeconds { get; set; } = 30;
}
