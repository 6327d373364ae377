using Platform.Reasoning.Prompts;

namespace Platform.UnitTests.Reasoning;

/// <summary>What a conversation must be for a generator to answer it, with and without a chat template.</summary>
public sealed class ConversationTests
{
    [Theory]
    // roles (developer is OpenAI's newer system), the last turn the user's
    [InlineData("user:hi", true, null)]
    [InlineData("system:be brief|user:hi", true, null)]
    [InlineData("developer:be brief|user:hi", true, null)]
    [InlineData("user:1+1|assistant:2|user:and 2+2?", true, null)]
    [InlineData("", true, "messages")]
    [InlineData("tool:x|user:hi", true, "messages[0].role")]
    [InlineData("user:hi|assistant:hello", true, "messages[1].role")]
    [InlineData("user:   ", true, "messages[0].content")]
    // without a chat template: one user turn, after at most one system turn
    [InlineData("user:hi", false, null)]
    [InlineData("system:be brief|user:hi", false, null)]
    [InlineData("user:1+1|assistant:2|user:and 2+2?", false, "messages")]
    [InlineData("system:a|system:b|user:hi", false, "messages")]
    public void A_conversation_is_answerable_or_names_the_field(string spec, bool chatTemplate, string? field)
    {
        var turns = spec.Length == 0 ? [] : spec.Split('|').Select(t => t.Split(':', 2)).Select(p => ((string?)p[0], (string?)p[1])).ToList();
        Assert.Equal(field, Conversation.Problem(turns, chatTemplate, "m")?.Field);
    }

    [Fact]
    public void A_turn_without_content_is_named()
    {
        Assert.Equal("messages[0].content", Conversation.Problem([("user", null)], true, "m")?.Field);
        Assert.Equal("messages[0].role", Conversation.Problem([(null, "hi")], true, "m")?.Field);
    }

    [Theory]
    [InlineData("system", "system")]
    [InlineData("developer", "system")]
    [InlineData("user", "user")]
    public void Developer_is_read_as_system(string role, string expected) => Assert.Equal(expected, Conversation.TemplateRole(role));
}
