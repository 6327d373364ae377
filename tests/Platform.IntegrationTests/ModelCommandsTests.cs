using System.Text.Json;
using TtcCli = Platform.Cli.Commands.Cli;

namespace Platform.IntegrationTests;

/// <summary>`ttc generate`, `ttc models inspect` and `ttc score` on Hugging Face-format folders (models/hf-test, models/hf-verifiers), against references from PyTorch and the tokenizers library.</summary>
public sealed class ModelCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ttc-models").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int Run(params string[] args) => TtcCli.Build().Parse(args).Invoke();

    [Theory]
    [InlineData("llama-gqa")]
    [InlineData("gpt2")]
    public void Generate_raw_writes_the_reference_ids_and_greedy_tokens(string name)
    {
        var folder = Repository.Path($"models/hf-test/{name}");
        var parity = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "parity.json"))).RootElement;
        var prompt = parity.GetProperty("prompts")[0].GetString()!;
        var json = Path.Combine(_dir, "out.json");
        Assert.Equal(0, Run("generate", "--model", folder, "--prompt", prompt, "--raw", "--max-new-tokens", "12", "--json", json));

        var output = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(prompt, output.GetProperty("prompt").GetString());
        Assert.Equal(parity.GetProperty("prompt_ids")[0].EnumerateArray().Select(e => e.GetInt32()), output.GetProperty("prompt_token_ids").EnumerateArray().Select(e => e.GetInt32()));
        var tokens = output.GetProperty("completion_token_ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.Equal(parity.GetProperty("greedy_tokens")[0].EnumerateArray().Select(e => e.GetInt32()).Take(tokens.Count), tokens);
        Assert.False(string.IsNullOrEmpty(output.GetProperty("completion").GetString()));
    }

    [Theory]
    [InlineData("math-shepherd")]
    [InlineData("outcome")]
    public void Score_with_a_verifier_folder_prints_the_reference_step_scores(string family)
    {
        var folder = Repository.Path($"models/hf-verifiers/{family}");
        var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "reference.json"))).RootElement.GetProperty("cases").EnumerateArray().ToList();
        var input = Path.Combine(_dir, "solutions.jsonl");
        File.WriteAllLines(input, cases.Select(c => JsonSerializer.Serialize(new { problem = c.GetProperty("problem").GetString(), solution = c.GetProperty("solution").GetString(), step_delimiter = c.GetProperty("delimiter").GetString() })));
        var output = Path.Combine(_dir, "scores.jsonl");
        Assert.Equal(0, Run("score", input, "--verifier", folder, "--out", output));
        var lines = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(cases.Count, lines.Count);
        for (var i = 0; i < cases.Count; i++)
        {
            var expected = cases[i].GetProperty("step_scores").EnumerateArray().Select(e => e.GetDouble()).ToList();
            var actual = lines[i].GetProperty("step_scores").EnumerateArray().Select(e => e.GetDouble()).ToList();
            Assert.Equal(expected.Count, actual.Count);
            Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-4, $"{family} line {i + 1}: {p.Second} for {p.First}"));
            Assert.Equal(actual[^1], lines[i].GetProperty("score").GetProperty("last").GetDouble());
        }
    }

    [Fact]
    public void Generate_chat_renders_the_template_and_adds_no_second_BOS()
    {
        var json = Path.Combine(_dir, "chat.json");
        Assert.Equal(0, Run("generate", "--model", Repository.Path("models/hf-test/llama-gqa"), "--chat", "What is 2+2?", "--system", "Be brief.", "--max-new-tokens", "4", "--json", json));
        var output = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        var prompt = output.GetProperty("prompt").GetString()!;
        Assert.StartsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n", prompt, StringComparison.Ordinal);
        Assert.EndsWith("<|start_header_id|>assistant<|end_header_id|>\n\n", prompt, StringComparison.Ordinal);
        var ids = output.GetProperty("prompt_token_ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.Equal(1, ids.Count(id => id == ids[0])); // the template's BOS, once

        // search-and-learn's recipe brings its own template (no BOS in it) and lets the tokenizer add the BOS: still exactly one.
        Assert.Equal(0, Run("generate", "--model", Repository.Path("models/hf-test/llama-gqa"), "--chat", "What is 2+2?", "--recipe", Repository.Path("recipes/search-and-learn-math500.json"), "--max-new-tokens", "2", "--json", json));
        output = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.StartsWith("<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date", output.GetProperty("prompt").GetString(), StringComparison.Ordinal);
        Assert.Contains("Solve the following math problem efficiently and clearly", output.GetProperty("prompt").GetString(), StringComparison.Ordinal);
        ids = output.GetProperty("prompt_token_ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
        var bos = JsonDocument.Parse(File.ReadAllText(Repository.Path("models/hf-test/llama-gqa/config.json"))).RootElement.GetProperty("bos_token_id").GetInt32();
        Assert.Equal(bos, ids[0]);
        Assert.Single(ids, id => id == bos);

        // A model without a template says so instead of inventing one.
        Assert.Equal(1, Run("generate", "--model", Repository.Path("models/hf-test/gpt2"), "--chat", "hi"));
    }

    [Fact]
    public void Inspect_prints_what_was_read_and_names_what_is_missing()
    {
        Assert.Equal(0, Run("models", "inspect", Repository.Path("models/hf-test/qwen3-head-dim")));
        var broken = Path.Combine(_dir, "broken");
        Directory.CreateDirectory(broken);
        File.Copy(Repository.Path("models/hf-test/gpt2/config.json"), Path.Combine(broken, "config.json"));
        Assert.Equal(1, Run("models", "inspect", broken));
        File.Copy(Repository.Path("models/hf-test/gpt2/model.onnx"), Path.Combine(broken, "model.onnx"));
        Assert.Equal(1, Run("models", "inspect", broken)); // no tokenizer.json
        File.Copy(Repository.Path("models/hf-test/gpt2/tokenizer.json"), Path.Combine(broken, "tokenizer.json"));
        Assert.Equal(0, Run("models", "inspect", broken));
    }
}
