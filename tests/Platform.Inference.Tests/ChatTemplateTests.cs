using System.Text.Json;
using Platform.Inference.Templates;
using Platform.Tests.Shared;

namespace Platform.Inference.Tests;

/// <summary>Real public chat templates rendered by the C# renderer against Jinja2 with transformers' settings (scripts/hf-fixtures/render-chat-templates.py).</summary>
public sealed class ChatTemplateTests
{
    private static readonly string Folder = Repository.Path("tests/data/chat-templates");
    private static readonly JsonElement Fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "cases.json"))).RootElement.Clone();

    public static TheoryData<string> Templates => new() { "qwen2.5-instruct", "llama-3.2-instruct", "mistral-nemo-instruct", "deepseek-r1-distill", "phi-4-mini-instruct", "constructs" };

    [Theory]
    [MemberData(nameof(Templates))]
    public void Renders_byte_for_byte_as_jinja2_does(string name)
    {
        var now = DateTime.Parse(Fixture.GetProperty("now").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var compared = 0;
        foreach (var c in Fixture.GetProperty("cases").EnumerateArray().Where(c => c.GetProperty("template").GetString() == name))
        {
            var tokens = c.GetProperty("special_tokens").EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.GetString());
            var template = ChatTemplate.Parse(File.ReadAllText(Path.Combine(Folder, name + ".jinja")), tokens);
            var messages = Fixture.GetProperty("conversations").GetProperty(c.GetProperty("conversation").GetString()!);
            var prompt = c.GetProperty("add_generation_prompt").GetBoolean();
            var label = $"{name}/{c.GetProperty("conversation").GetString()}/agp={prompt}";
            if (c.TryGetProperty("error", out var error))
            {
                var e = Assert.Throws<ChatTemplateException>(() => template.Render(messages, prompt, now));
                Assert.True(e.RaisedByTemplate, label);
                Assert.Equal(error.GetString(), e.Message);
            }
            else
            {
                var expected = c.GetProperty("output").GetString();
                var actual = template.Render(messages, prompt, now);
                Assert.True(expected == actual, $"{label}\n--- jinja2:\n{expected}\n--- ours:\n{actual}");
            }

            compared++;
        }

        Assert.Equal(12, compared);
    }

    [Theory]
    [InlineData("{% include 'x.jinja' %}", "'{% include %}'")]
    [InlineData("{{ x | truncate(3) }}", "filter 'truncate'")]
    [InlineData("{% if x is divisible %}{% endif %}", "test 'divisible'")]
    [InlineData("{% for x in xs recursive %}{% endfor %}", "recursive")]
    [InlineData("{% if true %}", "'{% endif %}' missing")]
    [InlineData("{{ 'open }}", "never closed")]
    public void A_construct_it_lacks_is_refused_by_name(string source, string named)
    {
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{{ 'a' + 1 }}", "unsupported operand type(s) for +: 'str' and 'int'")]
    [InlineData("{{ x.y }}", "'x' is undefined")]
    [InlineData("{{ messages[0].content.missing.deeper }}", "has no attribute 'missing'")]
    public void Type_errors_fail_instead_of_writing_something_else(string source, string expected)
    {
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source).Render([new ChatMessage("user", "hi")], true));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_folder_reads_chat_template_jinja_before_tokenizer_config()
    {
        var dir = Directory.CreateTempSubdirectory("ttc-chat").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), JsonSerializer.Serialize(new
            {
                bos_token = new { content = "<s>", special = true },
                eos_token = "</s>",
                chat_template = "{{ bos_token }}config:{{ messages[0].content }}{{ eos_token }}",
            }));
            Assert.Equal("<s>config:hi</s>", ChatTemplate.FromFolder(dir)!.Render([new ChatMessage("user", "hi")], false));
            File.WriteAllText(Path.Combine(dir, "chat_template.jinja"), "{{ bos_token }}file:{{ messages[0].content }}");
            Assert.Equal("<s>file:hi", ChatTemplate.FromFolder(dir)!.Render([new ChatMessage("user", "hi")], false));
            File.Delete(Path.Combine(dir, "chat_template.jinja"));
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
            Assert.Null(ChatTemplate.FromFolder(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
