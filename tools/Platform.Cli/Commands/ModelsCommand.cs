using System.CommandLine;
using System.Globalization;
using Platform.Inference.Models;
using Platform.Inference.Onnx;
using Platform.Inference.Runtime;
using Platform.Inference.Tokenization;

namespace Platform.Cli.Commands;

/// <summary><c>ttc models inspect DIR</c>: what a model folder holds, as the platform reads it, or exactly what is missing.</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "A model folder (an Optimum export or one of the project's models)" };
        var inspect = new Command("inspect", "Print the architecture, special ids, template and files of a model folder; exit 1 naming what is missing or wrong");
        inspect.Arguments.Add(dir);
        inspect.SetAction(parse =>
        {
            var folder = parse.GetValue(dir)!.FullName;
            ModelDirectory model;
            try
            {
                model = ModelDirectory.Load(folder);
                using var session = DecoderSession.Open(model, new InferenceOptions { IntraOpThreads = 1 }); // checks the graph's inputs and outputs against the config
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
            {
                Console.Error.WriteLine($"{folder}: {e.Message}");
                return 1;
            }

            Console.Write(Describe(model));
            return 0;
        });

        var command = new Command("models", "Model folders");
        command.Subcommands.Add(inspect);
        return command;
    }

    public static string Describe(ModelDirectory model)
    {
        var m = model.Manifest;
        var a = m.Architecture;
        var t = model.Tokenizer;
        string Token(int id) => t is HuggingFaceTokenizer hf && hf.SpecialIds.Contains(id) ? $"{id} {Quoted(id, hf)}" : id.ToString(CultureInfo.InvariantCulture);
        var lines = new List<(string, string)>
        {
            ("folder", model.Path),
            ("architecture", a.Type),
            ("layers", a.Layers.ToString(CultureInfo.InvariantCulture)),
            ("attention heads", a.Heads.ToString(CultureInfo.InvariantCulture)),
            ("key/value heads", $"{a.KvHeads}{(a.KvHeads < a.Heads ? $" (grouped-query, {a.Heads / Math.Max(1, a.KvHeads)} query heads each)" : "")}"),
            ("head size", a.HeadDim.ToString(CultureInfo.InvariantCulture)),
            ("hidden size", a.DModel.ToString(CultureInfo.InvariantCulture)),
            ("context", a.Context.ToString(CultureInfo.InvariantCulture)),
            ("vocabulary", $"{a.VocabSize} in the model, {t.VocabularySize} in the tokenizer"),
            ("parameters", m.Parameters.ToString("N0", CultureInfo.InvariantCulture)),
            ("weights", m.WeightType ?? "float32"),
            ("end ids", string.Join(", ", (m.SpecialTokens.EndIds ?? [m.SpecialTokens.Eos]).Select(Token))),
            ("bos id", m.SpecialTokens.Bos is { } b ? Token(b) : "none"),
            ("pad id", Token(m.SpecialTokens.Pad)),
            ("tokenizer", m.Tokenizer.Type),
            ("chat template", model.ChatTemplate is null ? "none (prompts are the recipe's user template, with the tokenizer's special tokens)" : $"yes ({model.ChatTemplate.Source.Length} characters)"),
            ("recipe", $"{model.Recipe.Name}: step delimiter {Quoted(model.Recipe.StepDelimiter)}, answer {model.Recipe.AnswerFormat}"),
            ("KV cache per token", $"{2L * a.Layers * a.KvHeads * a.HeadDim * OnnxParameters.Size(m.CacheType ?? "float32"):N0} bytes ({m.CacheType ?? "float32"})"),
        };
        foreach (var file in Directory.GetFiles(model.Path).Order(StringComparer.Ordinal))
        {
            lines.Add(($"file {Path.GetFileName(file)}", $"{new FileInfo(file).Length:N0} bytes"));
        }

        var width = lines.Max(l => l.Item1.Length);
        return string.Concat(lines.Select(l => $"{l.Item1.PadRight(width)}  {l.Item2}\n"));
    }

    private static string Quoted(int id, HuggingFaceTokenizer t) => Quoted(t.TokenOf(id) ?? "?");

    private static string Quoted(string s) => System.Text.Json.JsonSerializer.Serialize(s, GenerateCommand.Readable);
}
