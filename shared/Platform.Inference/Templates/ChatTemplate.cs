using System.Text.Json;

namespace Platform.Inference.Templates;

/// <summary>One turn of a conversation.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// A model's chat template, rendered as transformers' <c>apply_chat_template</c> renders it: Jinja with
/// trim_blocks, lstrip_blocks and loop controls; <c>messages</c>, <c>add_generation_prompt</c>,
/// <c>tools=None</c>, <c>documents=None</c> and the special tokens of <c>tokenizer_config.json</c> as
/// variables; <c>raise_exception</c>, <c>strftime_now</c> and <c>namespace</c> as functions
/// (docs/decisions/0019-chat-templates.md). A construct the renderer lacks fails when the template is
/// read, naming it.
/// </summary>
public sealed class ChatTemplate
{
    private readonly List<Node> _template;

    private ChatTemplate(List<Node> template, IReadOnlyDictionary<string, object?> specialTokens, string source)
    {
        _template = template;
        SpecialTokens = specialTokens;
        Source = source;
    }

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary><c>bos_token</c>, <c>eos_token</c>, ... as the template sees them.</summary>
    public IReadOnlyDictionary<string, object?> SpecialTokens { get; }

    public static ChatTemplate Parse(string source, IReadOnlyDictionary<string, object?>? specialTokens = null) =>
        new(JinjaParser.Parse(source), specialTokens ?? new Dictionary<string, object?>(), source);

    /// <summary>
    /// The template of a model folder: <c>chat_template.jinja</c> where present (newer exports write it),
    /// else <c>chat_template</c> of <c>tokenizer_config.json</c> (a string, or a list of named templates
    /// of which "default" is used); null when the folder has none.
    /// </summary>
    public static ChatTemplate? FromFolder(string directory)
    {
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        var config = ReadConfig(configPath);
        var tokens = config is { } c ? SpecialTokensOf(c) : new Dictionary<string, object?>();
        var jinjaPath = Path.Combine(directory, "chat_template.jinja");
        string? source = File.Exists(jinjaPath) ? File.ReadAllText(jinjaPath) : config is { } k ? TemplateOf(k, configPath) : null;
        if (source is null)
        {
            return null;
        }

        try
        {
            return Parse(source, tokens);
        }
        catch (ChatTemplateException e)
        {
            throw new InvalidDataException($"{(File.Exists(jinjaPath) ? jinjaPath : configPath)}: chat template: {e.Message}", e);
        }
    }

    /// <summary>The special tokens of a folder's <c>tokenizer_config.json</c> (none when it has no such file).</summary>
    public static IReadOnlyDictionary<string, object?> FromFolderTokens(string directory) =>
        ReadConfig(Path.Combine(directory, "tokenizer_config.json")) is { } config ? SpecialTokensOf(config) : new Dictionary<string, object?>();

    private static JsonElement? ReadConfig(string configPath)
    {
        if (!File.Exists(configPath))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(configPath));
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath} is not valid JSON: {e.Message}", e);
        }
    }

    private static string? TemplateOf(JsonElement config, string path)
    {
        if (!config.TryGetProperty("chat_template", out var t) || t.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (t.ValueKind == JsonValueKind.String)
        {
            return t.GetString();
        }

        if (t.ValueKind == JsonValueKind.Array)
        {
            foreach (var named in t.EnumerateArray())
            {
                if (named.TryGetProperty("name", out var n) && n.GetString() == "default")
                {
                    return named.GetProperty("template").GetString();
                }
            }
        }

        throw new InvalidDataException($"{path}: chat_template must be a string or a list with a template named \"default\"");
    }

    /// <summary>The special tokens transformers passes to the template (each a string, or an AddedToken object with "content").</summary>
    private static Dictionary<string, object?> SpecialTokensOf(JsonElement config)
    {
        static string? Content(JsonElement v) => v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) => c.GetString(),
            _ => null,
        };

        var tokens = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var name in new[] { "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token" })
        {
            if (config.TryGetProperty(name, out var v) && Content(v) is { } text)
            {
                tokens[name] = text;
            }
        }

        if (config.TryGetProperty("additional_special_tokens", out var extra) && extra.ValueKind == JsonValueKind.Array)
        {
            tokens["additional_special_tokens"] = extra.EnumerateArray().Select(e => (object?)Content(e)).ToList();
        }

        return tokens;
    }

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, DateTime? now = null) =>
        Render(messages.Select(m => (object?)Py.ToDict([new("role", m.Role), new("content", m.Content)])).ToList(), addGenerationPrompt, now);

    /// <summary>Renders messages given as JSON objects (any fields the template reads: role, content, tool_calls, ...).</summary>
    public string Render(JsonElement messages, bool addGenerationPrompt, DateTime? now = null) =>
        Render(Py.FromJson(messages) as List<object?> ?? throw new ArgumentException("messages must be a JSON array", nameof(messages)), addGenerationPrompt, now);

    private string Render(List<object?> messages, bool addGenerationPrompt, DateTime? now)
    {
        var clock = now ?? DateTime.Now;
        var context = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages,
            ["tools"] = null,
            ["documents"] = null,
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        foreach (var (name, value) in SpecialTokens)
        {
            context[name] = value;
        }

        var globals = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["raise_exception"] = (JinjaFunction)((a, _) => throw new ChatTemplateException(a.Count > 0 ? Py.Str(a[0]) : "raise_exception", raisedByTemplate: true)),
            ["strftime_now"] = (JinjaFunction)((a, _) => JinjaOperators.Strftime(clock, a.Count == 1 && a[0] is string f ? f : throw new ChatTemplateException("strftime_now takes one format string"))),
            ["namespace"] = (JinjaFunction)((a, kw) =>
            {
                var ns = new Namespace();
                foreach (var (k, v) in kw)
                {
                    ns.Fields[k] = v;
                }

                return ns;
            }),
            ["range"] = (JinjaFunction)((a, _) => Range(a)),
            ["dict"] = (JinjaFunction)((_, kw) => Py.ToDict(kw)),
        };
        return JinjaRenderer.Render(_template, context, globals);
    }

    private static List<object?> Range(IReadOnlyList<object?> a)
    {
        var n = a.Select(x => x is long i ? i : throw new ChatTemplateException("range takes integers")).ToArray();
        var (start, stop, step) = n.Length switch
        {
            1 => (0L, n[0], 1L),
            2 => (n[0], n[1], 1L),
            3 => (n[0], n[1], n[2]),
            _ => throw new ChatTemplateException("range takes one to three integers"),
        };
        if (step == 0)
        {
            throw new ChatTemplateException("range() arg 3 must not be zero");
        }

        var items = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            items.Add(i);
        }

        return items;
    }
}
