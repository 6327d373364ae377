using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Platform.Inference.Tokenization;
using MlTokenizer = Microsoft.ML.Tokenizers.Tokenizer;

namespace Platform.Benchmarks;

/// <summary>
/// The two tokenizer libraries served here, on the reference fixtures of tests/data/tokenizers (ids from
/// Hugging Face's own library): how many test strings each encodes to exactly the reference ids, and
/// tokens/s encoding the fixture texts over and over. Microsoft.ML.Tokenizers has no tokenizer.json
/// loader; it is built from the file's vocab and merges, as its maintainers suggest (CodeGenTokenizer
/// for byte-level BPE, BpeTokenizer with the added tokens as special tokens otherwise).
/// </summary>
public static class TokenizerBenchmark
{
    public static string Run(string fixtures, int repeats)
    {
        var report = new StringBuilder();
        report.AppendLine("| family | cases | Tokenizers.DotNet exact | ML.Tokenizers exact | Tokenizers.DotNet tokens/s | ML.Tokenizers tokens/s |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var dir in Directory.GetDirectories(fixtures).Order())
        {
            var file = Path.Combine(dir, "tokenizer.json");
            var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "cases.json"))).RootElement.GetProperty("cases").EnumerateArray()
                .Select(c => (Text: c.GetProperty("text").GetString()!, Ids: c.GetProperty("ids_without_special").EnumerateArray().Select(e => e.GetInt32()).ToArray()))
                .ToList();
            using var hf = HuggingFaceTokenizer.Load(file, 0, null, [0]);
            var hfExact = cases.Count(c => hf.Encode(c.Text).SequenceEqual(c.Ids));
            var hfRate = Rate(cases.Select(c => c.Text), repeats, t => hf.Encode(t).Length);
            MlTokenizer ml;
            try
            {
                ml = BuildMl(file);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                report.AppendLine($"| {Path.GetFileName(dir)} | {cases.Count} | {hfExact} | cannot load: {e.Message.Replace("|", "\\|")} | {hfRate:N0} | — |");
                continue;
            }

            var mlExact = cases.Count(c => Safe(() => ml.EncodeToIds(c.Text).SequenceEqual(c.Ids)));
            var mlRate = Rate(cases.Select(c => c.Text), repeats, t => ml.EncodeToIds(t).Count);
            report.AppendLine($"| {Path.GetFileName(dir)} | {cases.Count} | {hfExact} | {mlExact} | {hfRate:N0} | {mlRate:N0} |");
        }

        return report.ToString();
    }

    private static bool Safe(Func<bool> check)
    {
        try
        {
            return check();
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static double Rate(IEnumerable<string> texts, int repeats, Func<string, int> encode)
    {
        var all = texts.ToList();
        foreach (var t in all)
        {
            encode(t); // warm-up
        }

        long tokens = 0;
        var clock = Stopwatch.StartNew();
        for (var r = 0; r < repeats; r++)
        {
            foreach (var t in all)
            {
                tokens += encode(t);
            }
        }

        return tokens / clock.Elapsed.TotalSeconds;
    }

    private static MlTokenizer BuildMl(string tokenizerJson)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(tokenizerJson));
        var model = document.RootElement.GetProperty("model");
        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var m in model.GetProperty("merges").EnumerateArray())
        {
            merges.Append(m.ValueKind == JsonValueKind.Array ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString()).Append('\n');
        }

        var special = document.RootElement.GetProperty("added_tokens").EnumerateArray()
            .ToDictionary(t => t.GetProperty("content").GetString()!, t => t.GetProperty("id").GetInt32());
        var entries = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        foreach (var (token, id) in special)
        {
            entries[token] = id; // CodeGenTokenizer wants its end-of-text token in the vocabulary
        }

        var vocab = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(entries));
        var mergeStream = new MemoryStream(Encoding.UTF8.GetBytes(merges.ToString()));
        var byteLevel = document.RootElement.GetProperty("decoder").GetRawText().Contains("ByteLevel", StringComparison.Ordinal);
        if (byteLevel)
        {
            return Microsoft.ML.Tokenizers.CodeGenTokenizer.Create(vocab, mergeStream, addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false);
        }

        return Microsoft.ML.Tokenizers.BpeTokenizer.Create(vocab, mergeStream, specialTokens: special, unknownToken: "<unk>", fuseUnknownTokens: true);
    }
}
