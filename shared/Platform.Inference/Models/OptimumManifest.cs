using System.Text.Json;
using Platform.Inference.Onnx;

namespace Platform.Inference.Models;

/// <summary>
/// A manifest for a Hugging Face Optimum decoder export (<c>optimum-cli export onnx --task
/// text-generation-with-past</c>), read from the folder's own files: dimensions from <c>config.json</c>,
/// special ids from <c>generation_config.json</c> then <c>config.json</c> (a number or a list), the
/// parameter count and weight type from the graph's initializers. Nothing depends on the architecture
/// name beyond the config fields it uses.
/// </summary>
public static class OptimumManifest
{
    /// <summary>The graph files an export may hold, in the order they are looked for.</summary>
    public static readonly string[] GraphFiles = ["model.onnx", "decoder_model_merged.onnx"];

    public static ModelManifest FromConfig(string directory, string configPath)
    {
        var config = HfConfig.Read(configPath);
        var generationPath = Path.Combine(directory, "generation_config.json");
        var generation = File.Exists(generationPath) ? HfConfig.Read(generationPath) : null;

        var layers = config.Int("num_hidden_layers", "n_layer");
        var heads = config.Int("num_attention_heads", "n_head");
        var hidden = config.Int("hidden_size", "n_embd");
        var kvHeads = config.Optional("num_key_value_heads") ?? heads;
        var headDim = config.Optional("head_dim") ?? hidden / heads;
        var vocab = config.Int("vocab_size");
        if (heads % kvHeads != 0)
        {
            throw new InvalidDataException($"{configPath}: num_attention_heads ({heads}) is not a multiple of num_key_value_heads ({kvHeads})");
        }

        var ends = generation?.Ids("eos_token_id") ?? config.Ids("eos_token_id")
            ?? throw new InvalidDataException($"{configPath}: eos_token_id is not set here or in generation_config.json, so a sample could never end");
        var bos = generation?.Ids("bos_token_id")?.FirstOrDefault() ?? config.Ids("bos_token_id")?.FirstOrDefault();
        var pad = generation?.Ids("pad_token_id")?.FirstOrDefault() ?? config.Ids("pad_token_id")?.FirstOrDefault() ?? ends[0];

        var onnxFile = GraphFiles.FirstOrDefault(f => File.Exists(Path.Combine(directory, f)))
            ?? throw new FileNotFoundException($"{directory} has config.json but no {string.Join(" or ", GraphFiles)} (export with optimum-cli export onnx --task text-generation-with-past)", Path.Combine(directory, GraphFiles[0]));
        if (!File.Exists(Path.Combine(directory, "tokenizer.json")))
        {
            throw new FileNotFoundException($"{directory} has no tokenizer.json: save the model's fast tokenizer beside the graph (AutoTokenizer.from_pretrained(...).save_pretrained(DIR))", Path.Combine(directory, "tokenizer.json"));
        }

        var tied = config.Bool("tie_word_embeddings") ?? config.ModelType == "gpt2";
        var (parameters, dtype, embeddings, cacheType) = OnnxParameters.Read(Path.Combine(directory, onnxFile), (long)vocab * hidden);
        if (tied && embeddings >= 2)
        {
            parameters -= (long)vocab * hidden; // one matrix, written twice by the export
        }

        // 2 FLOPs per multiply-add of every weight matrix a token passes through; an untied input
        // embedding is a lookup, not a product.
        var matmulParameters = tied ? parameters : parameters - (long)vocab * hidden;
        return new ModelManifest
        {
            Name = Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar)),
            Kind = "decoder",
            Onnx = new OnnxFile { File = onnxFile },
            Architecture = new ArchitectureInfo
            {
                Type = config.ModelType ?? "decoder",
                Layers = layers, Heads = heads, KvHeads = kvHeads, HeadDim = headDim, DModel = hidden,
                DFf = config.Optional("intermediate_size") ?? config.Optional("n_inner") ?? 4 * hidden,
                Context = config.Optional("max_position_embeddings") ?? config.Optional("n_positions") ?? 2048, VocabSize = vocab,
            },
            Architectures = config.Strings("architectures"),
            Parameters = parameters,
            WeightType = dtype,
            CacheType = cacheType,
            FlopsPerToken = 2 * matmulParameters,
            AttentionFlopsPerPosition = 4L * layers * heads * headDim,
            Tokenizer = new TokenizerInfo { Type = "tokenizer.json", TokenizerFile = "tokenizer.json" },
            SpecialTokens = new SpecialTokens { Pad = pad, Bos = bos, Eos = ends[0], EndIds = [.. ends] },
            AddBos = true,
            PromptTemplate = "{problem}",
            StepDelimiter = "\n\n",
            Answer = new AnswerInfo { Prefix = null, Format = "boxed" },
        };
    }

    /// <summary>One Hugging Face JSON configuration file, read field by field with its path in every error.</summary>
    private sealed class HfConfig(string path, JsonElement root)
    {
        public static HfConfig Read(string path)
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllText(path));
                return new HfConfig(path, document.RootElement.Clone());
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
            }
        }

        public string? ModelType => root.TryGetProperty("model_type", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        public List<string> Strings(string name) =>
            root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
                ? [.. v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)] : [];

        public int Int(params string[] names) =>
            names.Select(Optional).FirstOrDefault(v => v is not null)
            ?? throw new InvalidDataException($"{path}: none of {string.Join(", ", names)} is set");

        public int? Optional(string name) =>
            root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

        public bool? Bool(string name) =>
            root.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

        /// <summary>A token id field given as a number or as a list of numbers (null when absent or null).</summary>
        public int[]? Ids(string name)
        {
            if (!root.TryGetProperty(name, out var v))
            {
                return null;
            }

            return v.ValueKind switch
            {
                JsonValueKind.Number => [v.GetInt32()],
                JsonValueKind.Array when v.GetArrayLength() > 0 && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number) => [.. v.EnumerateArray().Select(e => e.GetInt32())],
                JsonValueKind.Null => null,
                _ => throw new InvalidDataException($"{path}: {name} must be a token id or a list of token ids (was {v.GetRawText()})"),
            };
        }
    }
}
