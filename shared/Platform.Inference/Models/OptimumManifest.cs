using System.Text.Json;

namespace Platform.Inference.Models;

/// <summary>Builds a manifest for a Hugging Face Optimum decoder export from its <c>config.json</c>.</summary>
public static class OptimumManifest
{
    public static ModelManifest FromConfig(string directory, string configPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(configPath));
        var c = document.RootElement;
        int Int(params string[] names)
        {
            foreach (var n in names)
            {
                if (c.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Number)
                {
                    return v.GetInt32();
                }
            }

            throw new InvalidDataException($"{configPath}: none of {string.Join(", ", names)} is set");
        }

        int? Optional(string name) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

        var layers = Int("num_hidden_layers", "n_layer");
        var heads = Int("num_attention_heads", "n_head");
        var hidden = Int("hidden_size", "n_embd");
        var kvHeads = Optional("num_key_value_heads") ?? heads;
        var vocab = Int("vocab_size");
        var ff = Optional("intermediate_size") ?? Optional("n_inner") ?? 4 * hidden;
        var eos = Optional("eos_token_id") ?? 0;
        var onnxFile = new[] { "model.onnx", "decoder_model_merged.onnx", "decoder_with_past_model.onnx" }
            .FirstOrDefault(f => File.Exists(Path.Combine(directory, f)))
            ?? throw new FileNotFoundException($"{directory} has config.json but no model.onnx or decoder_model_merged.onnx", Path.Combine(directory, "model.onnx"));

        var tokenizer = File.Exists(Path.Combine(directory, "tokenizer.json"))
            ? new TokenizerInfo { Type = "tokenizer.json", TokenizerFile = "tokenizer.json" }
            : new TokenizerInfo { Type = "bpe", VocabFile = "vocab.json", MergesFile = "merges.txt" };

        // Without the graph's initializers, parameters are estimated from the shape (embeddings + 12 d^2 per layer).
        var parameters = (long)vocab * hidden * 2 + (long)layers * (4L * hidden * hidden + 3L * hidden * ff);
        return new ModelManifest
        {
            Name = Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar)),
            Kind = "decoder",
            Onnx = new OnnxFile { File = onnxFile },
            Architecture = new ArchitectureInfo
            {
                Type = c.TryGetProperty("model_type", out var mt) ? mt.GetString() ?? "decoder" : "decoder",
                Layers = layers, Heads = heads, KvHeads = kvHeads, HeadDim = hidden / heads, DModel = hidden, DFf = ff,
                Context = Optional("max_position_embeddings") ?? Optional("n_positions") ?? 2048, VocabSize = vocab,
            },
            Parameters = parameters,
            FlopsPerToken = 2 * parameters,
            AttentionFlopsPerPosition = 4L * layers * hidden,
            Tokenizer = tokenizer,
            SpecialTokens = new SpecialTokens { Pad = Optional("pad_token_id") ?? eos, Bos = Optional("bos_token_id"), Eos = eos },
            AddBos = false,
            PromptTemplate = "{problem}",
            StepDelimiter = "\n\n",
            Answer = new AnswerInfo { Prefix = null, Format = "boxed" },
        };
    }
}
