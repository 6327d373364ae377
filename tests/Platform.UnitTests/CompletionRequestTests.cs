using System.Text.Json;
using Platform.Router.OpenAi;

namespace Platform.UnitTests;

/// <summary>OpenAI-compatible bodies read into the batch API's settings, or refused naming the parameter.</summary>
public sealed class CompletionRequestTests
{
    private static (CompletionRequest? Request, OpenAiError? Error) Chat(string json) => CompletionRequests.Read(JsonDocument.Parse(json).RootElement, CompletionKind.Chat);

    private const string Hi = "\"messages\":[{\"role\":\"user\",\"content\":\"2+3\"}]";

    [Theory]
    [InlineData("gen-small", "gen-small", null, null, null)]
    [InlineData("gen-small:beam-search", "gen-small", "beam-search", null, null)]
    [InlineData("gen-small:weighted-best-of-n@16", "gen-small", "weighted-best-of-n", 16, null)]
    [InlineData("gen-small:telepathy@4", "gen-small", "telepathy", 4, "unknown strategy")]
    [InlineData("gen-small:best-of-n@0", "gen-small", "best-of-n", null, "after @")]
    [InlineData("gen-small:best-of-n@x", "gen-small", "best-of-n", null, "after @")]
    [InlineData(":best-of-n@4", "", "best-of-n", 4, "the form is")]
    public void Model_names_carry_the_strategy(string model, string generator, string? strategy, int? n, string? error)
    {
        var parsed = CompletionRequests.ParseModel(model);
        Assert.Equal((generator, strategy, n), (parsed.Generator, parsed.Strategy, parsed.N));
        if (error is null)
        {
            Assert.Null(parsed.Error);
        }
        else
        {
            Assert.Contains(error, parsed.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Plain_sampling_with_n_is_self_consistency_over_n_samples_each_a_choice()
    {
        var (request, error) = Chat($$"""{"model":"gen-small",{{Hi}},"n":3,"temperature":0.5,"top_p":0.9,"max_tokens":64,"seed":7}""");
        Assert.Null(error);
        Assert.True(request!.AllSamples);
        Assert.Equal(("self-consistency", 3, 0.5, 0.9, 64, 7), (request.Settings.Strategy, request.Settings.N, request.Settings.Temperature, request.Settings.TopP,
            request.Settings.MaxNewTokens, request.Settings.Seed));
        Assert.Equal("gen-small", request.Settings.GeneratorModel);
        Assert.Equal("2+3", request.Problem.Text);
        Assert.Empty(request.Problem.Conversation!); // the text is the only turn
    }

    [Fact]
    public void Ttc_takes_the_batch_APIs_settings_and_verifier_names_the_verifier_model()
    {
        var (request, error) = Chat("{\"model\":\"gen-small\"," + Hi + ""","ttc":{"strategy":"beam-search","n":16,"beamWidth":4,"verifier":"prm","budget":{"amount":1000,"unit":"tokens","scope":"problem"}}}""");
        Assert.Null(error);
        Assert.False(request!.AllSamples);
        Assert.Equal(("beam-search", 16, 4, "prm"), (request.Settings.Strategy, request.Settings.N, request.Settings.BeamWidth, request.Settings.VerifierModel));
        Assert.Equal(1000, request.Settings.Budget!.Amount);
    }

    [Theory]
    [InlineData("\"tools\":[{\"type\":\"function\"}]", "tools")]
    [InlineData("\"logprobs\":true", "logprobs")]
    [InlineData("\"response_format\":{\"type\":\"json_object\"}", "response_format")]
    [InlineData("\"stop\":[\"\\n\"]", "stop")]
    [InlineData("\"frequency_penalty\":0.5", "frequency_penalty")]
    [InlineData("\"bogus\":1", "bogus")]
    [InlineData("\"n\":0", "n")]
    [InlineData("\"n\":2,\"ttc\":{\"strategy\":\"best-of-n\"}", "n")]
    [InlineData("\"ttc\":{\"temperature\":0.5}", "ttc.temperature")]
    [InlineData("\"ttc\":{\"n\":\"many\"}", "ttc.n")]
    [InlineData("\"ttc\":[1]", "ttc")]
    [InlineData("\"stream\":\"yes\"", "stream")]
    public void Unsupported_and_bad_fields_are_named(string extra, string param)
    {
        var (request, error) = Chat($$"""{"model":"gen-small",{{Hi}},{{extra}}}""");
        Assert.Null(request);
        Assert.Equal(param, error!.Param);
        Assert.Equal(400, error.Status);
    }

    [Theory]
    [InlineData("\"logprobs\":false")]
    [InlineData("\"tools\":[]")]
    [InlineData("\"response_format\":{\"type\":\"text\"}")]
    [InlineData("\"frequency_penalty\":0")]
    [InlineData("\"user\":\"someone\",\"store\":false,\"metadata\":{\"a\":\"b\"}")]
    public void Values_that_ask_for_nothing_are_accepted(string extra) => Assert.Null(Chat($$"""{"model":"gen-small",{{Hi}},{{extra}}}""").Error);

    [Theory]
    [InlineData("{\"model\":\"gen-small\"}", "messages")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "model")]
    [InlineData("{\"model\":\"gen-small\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}", "messages[0].content")]
    [InlineData("{\"model\":\"gen-small\",\"messages\":[{\"role\":\"assistant\",\"content\":\"x\",\"tool_calls\":[{}]}]}", "messages[0].tool_calls")]
    [InlineData("{\"model\":\"gen-small\",\"messages\":[]}", "messages")]
    [InlineData("{\"model\":\"gen-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":\"y\"}]}", "messages[1].role")]
    [InlineData("{\"model\":\"gen-small\",\"messages\":[{\"role\":\"system\"},{\"role\":\"user\",\"content\":\"x\"}]}", "messages[0].content")]
    public void Messages_and_model_are_required_as_text(string json, string param) => Assert.Equal(param, Chat(json).Error!.Param);

    [Fact]
    public void The_last_user_turn_is_the_text_and_the_turns_before_it_travel_with_it()
    {
        var (request, _) = Chat("""{"model":"gen-small","messages":[{"role":"developer","content":"d"},{"role":"user","content":"1+1"},{"role":"assistant","content":"2"},{"role":"user","content":"2+2"}]}""");
        Assert.Equal("2+2", request!.Problem.Text);
        Assert.Equal(["developer", "user", "assistant"], request.Problem.Conversation!.Select(t => t.Role));
    }

    [Fact]
    public void Text_parts_are_joined_and_a_raw_prompt_is_read_verbatim()
    {
        var (chat, _) = Chat("""{"model":"gen-small","messages":[{"role":"user","content":[{"type":"text","text":"2+"},{"type":"text","text":"3"}]}]}""");
        Assert.Equal("2+3", chat!.Problem.Text);
        var (text, error) = CompletionRequests.Read(JsonDocument.Parse("""{"model":"gen-small","prompt":"Q: 2+3\n"}""").RootElement, CompletionKind.Text);
        Assert.Null(error);
        Assert.Equal(("Q: 2+3\n", true), (text!.Problem.Text, text.Problem.RawPrompt));
        Assert.Equal("prompt", CompletionRequests.Read(JsonDocument.Parse("""{"model":"gen-small","prompt":["a","b"]}""").RootElement, CompletionKind.Text).Error!.Param);
    }

    [Fact]
    public void Two_lines_with_the_same_settings_have_the_same_key_and_another_model_another()
    {
        string Key(string model, string content) => Chat($$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{content}}"}]}""").Request!.SettingsKey;
        Assert.Equal(Key("gen-small:best-of-n@4", "1+1"), Key("gen-small:best-of-n@4", "2+2"));
        Assert.NotEqual(Key("gen-small:best-of-n@4", "1+1"), Key("gen-large:best-of-n@4", "1+1"));
    }
}
