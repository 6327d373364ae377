using System.Security.Cryptography;
using System.Text.Json;
using Platform.Inference.Templates;
using Platform.Inference.Tokenization;

namespace Platform.Inference.Models;

/// <summary>
/// A model on disk: <c>model.onnx</c> with the project's <c>model.json</c>, or a Hugging Face Optimum
/// export (<c>config.json</c>, <c>model.onnx</c> or <c>decoder_model_merged.onnx</c>, tokenizer files).
/// Every problem is reported with the file it concerns.
/// </summary>
public sealed class ModelDirectory
{
    private ModelDirectory(string path, ModelManifest manifest, ITokenizer tokenizer, ChatTemplate? chat, Recipe recipe)
    {
        Path = path;
        Manifest = manifest;
        Tokenizer = tokenizer;
        ChatTemplate = chat;
        Recipe = recipe;
    }

    public string Path { get; }
    public ModelManifest Manifest { get; }
    public ITokenizer Tokenizer { get; }
    public string OnnxPath => System.IO.Path.Combine(Path, Manifest.Onnx.File);
    public string Name => Manifest.Name;

    /// <summary>The model's chat template (a Hugging Face folder's <c>chat_template.jinja</c> or <c>tokenizer_config.json</c>), if it has one.</summary>
    public ChatTemplate? ChatTemplate { get; }

    /// <summary>How the model is prompted and stepped: its folder's <c>recipe.json</c>, one given with <see cref="WithRecipe"/>, or what its manifest implies.</summary>
    public Recipe Recipe { get; }

    /// <summary>The special tokens' texts of <c>tokenizer_config.json</c> (bos_token, eos_token, ...), read once; none for a folder without one.</summary>
    public IReadOnlyDictionary<string, object?> SpecialTokenTexts => _specialTokenTexts ??= ChatTemplate?.SpecialTokens ?? Templates.ChatTemplate.FromFolderTokens(Path);

    private IReadOnlyDictionary<string, object?>? _specialTokenTexts;

    /// <summary>Prompts are rendered with the chat template (which writes the special tokens itself).</summary>
    public bool UsesChatTemplate => ChatTemplate is not null && Recipe.UseChatTemplate;

    /// <summary>The same model prompted by another recipe (with the recipe's own chat template, where it brings one).</summary>
    public ModelDirectory WithRecipe(Recipe recipe)
    {
        var chat = ChatTemplate;
        if (recipe.ChatTemplate is { } source)
        {
            try
            {
                chat = Templates.ChatTemplate.Parse(source, SpecialTokenTexts);
            }
            catch (ChatTemplateException e)
            {
                throw new InvalidDataException($"recipe {recipe.Name}: chat_template: {e.Message}", e);
            }
        }

        return new(Path, Manifest, Tokenizer, chat, recipe);
    }

    /// <summary>
    /// The prompt for a problem: the recipe's system prompt and user turn rendered with the chat template
    /// (as <c>apply_chat_template(add_generation_prompt=True)</c>), or the user template as it stands.
    /// </summary>
    public string Prompt(string problem) => UsesChatTemplate ? ChatPrompt(Recipe.SystemPrompt, UserTurn(problem)) : Plain(Recipe.SystemPrompt, problem);

    /// <summary>
    /// The prompt for a conversation (the OpenAI-compatible API's messages), as <c>apply_chat_template(add_generation_prompt=True)</c>
    /// renders it; the recipe's system prompt opens it when it has no system turn of its own. A model without a chat
    /// template takes one user turn (after at most one system turn), formatted as <see cref="Prompt(string)"/> formats a problem.
    /// </summary>
    public string Prompt(IReadOnlyList<(string Role, string Content)> conversation)
    {
        if (Platform.Reasoning.Prompts.Conversation.Problem([.. conversation.Select(t => ((string?)t.Role, (string?)t.Content))], UsesChatTemplate, Name) is { } problem)
        {
            throw new ArgumentException($"{problem.Field}: {problem.Reason}");
        }

        var system = Platform.Reasoning.Prompts.Conversation.System(conversation);
        if (!UsesChatTemplate)
        {
            return Plain(system ?? Recipe.SystemPrompt, conversation[^1].Content);
        }

        var messages = conversation.Select(t => new ChatMessage(Platform.Reasoning.Prompts.Conversation.TemplateRole(t.Role), t.Content)).ToList();
        if (system is null && !string.IsNullOrEmpty(Recipe.SystemPrompt))
        {
            messages.Insert(0, new ChatMessage("system", Recipe.SystemPrompt));
        }

        return ChatTemplate!.Render(messages, addGenerationPrompt: true);
    }

    private string UserTurn(string problem) => Recipe.UserTemplate.Replace("{problem}", problem, StringComparison.Ordinal);

    private string Plain(string? system, string problem) => string.IsNullOrEmpty(system) ? UserTurn(problem) : system + "\n\n" + UserTurn(problem);

    /// <summary>
    /// A system turn (none when empty) and a user turn rendered with the chat template as
    /// <c>apply_chat_template(add_generation_prompt=True)</c> renders them.
    /// </summary>
    public string ChatPrompt(string? system, string user)
    {
        var template = ChatTemplate ?? throw new InvalidOperationException($"{Path} has no chat template (chat_template.jinja or chat_template in tokenizer_config.json)");
        List<ChatMessage> messages = string.IsNullOrEmpty(system) ? [] : [new("system", system)];
        messages.Add(new("user", user));
        return template.Render(messages, addGenerationPrompt: true);
    }

    /// <summary>
    /// Prompt ids as the model expects them: a rendered chat template as <c>apply_chat_template(tokenize=True)</c>
    /// tokenizes it (no special tokens added: the template wrote them), otherwise with the tokenizer's
    /// special tokens where the manifest asks for them (<see cref="ModelManifest.AddBos"/>).
    /// </summary>
    public int[] EncodePrompt(string prompt) =>
        Recipe.AddSpecialTokens ?? (!UsesChatTemplate && Manifest.AddBos) ? Tokenizer.EncodeWithSpecialTokens(prompt) : Tokenizer.Encode(prompt);

    public static ModelDirectory Load(string path)
    {
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"model directory {path} does not exist");
        }

        var manifestPath = System.IO.Path.Combine(path, ModelManifest.FileName);
        var configPath = System.IO.Path.Combine(path, "config.json");
        var manifest = File.Exists(manifestPath) ? ReadManifest(manifestPath)
            : File.Exists(configPath) ? OptimumManifest.FromConfig(path, configPath)
            : throw new FileNotFoundException($"{path} has neither {ModelManifest.FileName} nor config.json", manifestPath);

        var onnx = System.IO.Path.Combine(path, manifest.Onnx.File);
        if (!File.Exists(onnx))
        {
            throw new FileNotFoundException($"{onnx} is missing (named by {manifestPath})", onnx);
        }

        if (manifest.Onnx.Sha256 is { } expected)
        {
            var actual = Sha256(onnx);
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{onnx} does not match the sha256 in {manifestPath} (expected {expected}, file has {actual}): the file is corrupt or was replaced");
            }
        }

        var tokenizer = CreateTokenizer(path, manifest, manifestPath);
        if (tokenizer.VocabularySize > manifest.Architecture.VocabSize)
        {
            throw new InvalidDataException($"{manifestPath}: the tokenizer has {tokenizer.VocabularySize} tokens but architecture.vocab_size is {manifest.Architecture.VocabSize}");
        }

        var chat = File.Exists(configPath) && !File.Exists(manifestPath) ? ChatTemplate.FromFolder(path) : null;
        var recipePath = System.IO.Path.Combine(path, Recipe.FileName);
        var recipe = File.Exists(recipePath) ? Recipe.Load(recipePath) : chat is null && File.Exists(manifestPath) ? Recipe.FromManifest(manifest) : new Recipe { Name = manifest.Name };
        return new ModelDirectory(path, manifest, tokenizer, chat, recipe);
    }

    private static ModelManifest ReadManifest(string manifestPath)
    {
        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(manifestPath), ModelManifest.Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{manifestPath} is not a valid model manifest: {e.Message}", e);
        }

        if (manifest is null || manifest.Format != ModelManifest.CurrentFormat)
        {
            throw new InvalidDataException($"{manifestPath}: format must be \"{ModelManifest.CurrentFormat}\" (was \"{manifest?.Format}\")");
        }

        var a = manifest.Architecture;
        if (a.Layers < 1 || a.Heads < 1 || a.HeadDim < 1 || a.VocabSize < 1 || a.Context < 1)
        {
            throw new InvalidDataException($"{manifestPath}: architecture needs positive layers, heads, head_dim, vocab_size and context");
        }

        if (manifest.Kind is not ("decoder" or "prm" or "orm"))
        {
            throw new InvalidDataException($"{manifestPath}: kind must be \"decoder\", \"prm\" or \"orm\" (was \"{manifest.Kind}\")");
        }

        return manifest;
    }

    private static ITokenizer CreateTokenizer(string path, ModelManifest manifest, string manifestPath)
    {
        var t = manifest.Tokenizer;
        var s = manifest.SpecialTokens;
        string Need(string? file, string field)
        {
            if (file is null)
            {
                throw new InvalidDataException($"{manifestPath}: tokenizer.{field} is required for tokenizer type \"{t.Type}\"");
            }

            var full = System.IO.Path.Combine(path, file);
            return File.Exists(full) ? full : throw new FileNotFoundException($"{full} is missing (tokenizer.{field} in {manifestPath})", full);
        }

        try
        {
            return t.Type switch
            {
                "char" => new CharTokenizer(t.Vocabulary ?? throw new InvalidDataException($"{manifestPath}: tokenizer.vocabulary is required for a char tokenizer")),
                "tokenizer.json" => HuggingFaceTokenizer.Load(Need(t.TokenizerFile, "tokenizer_file"), s.Pad, s.Bos, s.EndIds is { Count: > 0 } e ? e : [s.Eos]),
                _ => throw new InvalidDataException($"{manifestPath}: tokenizer.type \"{t.Type}\" is not one of char, tokenizer.json"),
            };
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{manifestPath}: tokenizer: {e.Message}", e);
        }
    }

    public static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
