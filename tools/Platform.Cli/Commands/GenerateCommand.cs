using System.CommandLine;
using System.Text.Json;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Inference.Templates;

namespace Platform.Cli.Commands;

/// <summary>
/// <c>ttc generate</c>: one completion from a model folder. <c>--raw</c> tokenizes the prompt as
/// <c>tokenizer(text)</c> does (the post-processor's special tokens added); <c>--chat</c> renders the
/// model's chat template and tokenizes it as <c>apply_chat_template(tokenize=True)</c> does. Greedy
/// unless a temperature is given; the completion is decoded with special tokens skipped.
/// </summary>
public static class GenerateCommand
{
    /// <summary>JSON as people read it: special tokens and non-ASCII text written as they are, not escaped.</summary>
    internal static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (with --raw)" };
        var raw = new Option<bool>("--raw") { Description = "Use --prompt as it stands, tokenized with the tokenizer's special tokens" };
        var chat = new Option<string?>("--chat") { Description = "A user message, rendered with the model's chat template" };
        var system = new Option<string?>("--system") { Description = "A system message (with --chat)" };
        var maxNew = new Option<int>("--max-new-tokens") { DefaultValueFactory = _ => 128 };
        var temperature = new Option<double>("--temperature") { Description = "0 (default): greedy", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { DefaultValueFactory = _ => 1.0 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 0UL };
        var json = new Option<FileInfo?>("--json") { Description = "Write {prompt, prompt_token_ids, completion, completion_token_ids} here" };
        var recipe = new Option<FileInfo?>("--recipe") { Description = "With --chat: the recipe's system prompt (unless --system) and chat template (recipes/*.json)" };
        var command = new Command("generate", "Generate one completion from a model folder (--prompt TEXT --raw, or --chat TEXT [--system TEXT])");
        foreach (var o in new Option[] { model, prompt, raw, chat, system, maxNew, temperature, topP, seed, json, recipe })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            var text = parse.GetValue(prompt);
            var message = parse.GetValue(chat);
            if ((text is null) == (message is null) || (text is not null && !parse.GetValue(raw)))
            {
                Console.Error.WriteLine("error: give either --prompt TEXT --raw or --chat TEXT");
                return 2;
            }

            DecoderSession session;
            try
            {
                var folder = ModelDirectory.Load(parse.GetValue(model)!.FullName);
                folder = parse.GetValue(recipe) is { } file ? folder.WithRecipe(Recipe.Load(file.FullName)) : folder;
                session = DecoderSession.Open(folder, new InferenceOptions());
            }
            catch (Exception e) when (e is IOException or InvalidDataException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }

            using (session)
            {
                var tokenizer = session.Tokenizer;
                int[] ids;
                if (message is not null)
                {
                    if (session.Model.ChatTemplate is null)
                    {
                        Console.Error.WriteLine($"error: {session.Model.Path} has no chat template (chat_template.jinja or chat_template in tokenizer_config.json); use --prompt TEXT --raw");
                        return 1;
                    }

                    try
                    {
                        text = session.Model.ChatPrompt(parse.GetValue(system) ?? (parse.GetValue(recipe) is null ? null : session.Model.Recipe.SystemPrompt), message);
                    }
                    catch (ChatTemplateException e)
                    {
                        Console.Error.WriteLine($"error: chat template: {e.Message}");
                        return 1;
                    }

                    // As apply_chat_template(tokenize=True), unless the recipe says otherwise (search-and-learn's template leaves the BOS to the tokenizer).
                    ids = parse.GetValue(recipe) is null ? tokenizer.Encode(text) : session.Model.EncodePrompt(text);
                }
                else
                {
                    ids = tokenizer.EncodeWithSpecialTokens(text!);
                }

                var result = session.Generate([new GenerationRequest
                {
                    Prompt = text!, PromptIds = ids,
                    Sampling = new SamplingOptions { Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP), Seed = parse.GetValue(seed), MaxNewTokens = parse.GetValue(maxNew) },
                }])[0];
                if (result.Error is not null)
                {
                    Console.Error.WriteLine($"error: {result.Error}");
                    return 1;
                }

                var sample = result.Samples[0];
                var completion = tokenizer.Decode(sample.Tokens);
                Console.WriteLine(completion);
                if (parse.GetValue(json) is { } file)
                {
                    File.WriteAllText(file.FullName, JsonSerializer.Serialize(new { prompt = text, prompt_token_ids = ids, completion, completion_token_ids = sample.Tokens, finish_reason = sample.FinishReason }, Readable) + "\n");
                }

                return 0;
            }
        });
        return command;
    }
}
