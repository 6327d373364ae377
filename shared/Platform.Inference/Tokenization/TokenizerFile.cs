using System.Text.Json;

namespace Platform.Inference.Tokenization;

/// <summary>
/// What <c>tokenizer.json</c> says that the tokenizers library does not report: every token's id, which
/// added tokens are special, and the tokens its post-processor puts around a single sequence
/// (TemplateProcessing, RobertaProcessing, BertProcessing, or a Sequence of them; ByteLevel adds none).
/// </summary>
internal sealed record TokenizerFile(int VocabularySize, IReadOnlyDictionary<string, int> Ids, IReadOnlySet<int> SpecialIds, int[] AddedBefore, int[] AddedAfter)
{
    private readonly Lazy<Dictionary<int, string>> _tokens = new(() => Ids.GroupBy(p => p.Value).ToDictionary(g => g.Key, g => g.Last().Key));

    /// <summary>Token text by id (the added tokens win over a vocabulary entry with the same id); built when first asked for.</summary>
    public IReadOnlyDictionary<int, string> Tokens => _tokens.Value;

    public static TokenizerFile Read(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: no \"model\" object");
            }

            if (model.TryGetProperty("vocab", out var vocab))
            {
                if (vocab.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in vocab.EnumerateObject())
                    {
                        ids[p.Name] = p.Value.GetInt32();
                    }
                }
                else if (vocab.ValueKind == JsonValueKind.Array)
                {
                    var i = 0;
                    foreach (var piece in vocab.EnumerateArray())
                    {
                        ids[piece[0].GetString()!] = i++; // Unigram: [piece, score] in id order
                    }
                }
            }

            var special = new HashSet<int>();
            if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            {
                foreach (var token in added.EnumerateArray())
                {
                    var id = token.GetProperty("id").GetInt32();
                    ids[token.GetProperty("content").GetString()!] = id;
                    if (token.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True)
                    {
                        special.Add(id);
                    }
                }
            }

            if (ids.Count == 0)
            {
                throw new InvalidDataException($"{path}: the model has no vocabulary");
            }

            var before = new List<int>();
            var after = new List<int>();
            if (root.TryGetProperty("post_processor", out var post) && post.ValueKind == JsonValueKind.Object)
            {
                Added(post, before, after, path);
            }

            return new TokenizerFile(ids.Values.Max() + 1, ids, special, [.. before], [.. after]);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path} is not a tokenizer.json the platform can read: {e.Message}", e);
        }
    }

    private static void Added(JsonElement post, List<int> before, List<int> after, string path)
    {
        switch (post.GetProperty("type").GetString())
        {
            case "ByteLevel":
                return;
            case "Sequence":
                foreach (var p in post.GetProperty("processors").EnumerateArray())
                {
                    Added(p, before, after, path);
                }

                return;
            case "TemplateProcessing":
                var seen = false;
                foreach (var piece in post.GetProperty("single").EnumerateArray())
                {
                    if (piece.TryGetProperty("Sequence", out _))
                    {
                        seen = true;
                        continue;
                    }

                    var name = piece.GetProperty("SpecialToken").GetProperty("id").GetString()!;
                    foreach (var id in post.GetProperty("special_tokens").GetProperty(name).GetProperty("ids").EnumerateArray())
                    {
                        (seen ? after : before).Add(id.GetInt32());
                    }
                }

                return;
            case "RobertaProcessing" or "BertProcessing":
                before.Add(post.GetProperty("cls")[1].GetInt32());
                after.Add(post.GetProperty("sep")[1].GetInt32());
                return;
            case var other:
                throw new InvalidDataException($"{path}: post_processor type \"{other}\" is not supported (ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing and Sequence are)");
        }
    }
}
