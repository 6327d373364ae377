using Platform.Reasoning.Answers;

namespace Platform.UnitTests.Reasoning;

public sealed class AnswerGradingTests
{
    [Theory]
    // arithmetic task
    [InlineData("37+48=85\nA: 85\n", "arithmetic", "85")]
    [InlineData("A: 1\nA: 2\n", "arithmetic", "2")]
    [InlineData("37+48=85\n", "arithmetic", null)]
    // GSM8K
    [InlineData("Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 72", "gsm8k", "72")]
    [InlineData("#### 1,234\n", "gsm8k", "1,234")]
    [InlineData("no marker", "gsm8k", null)]
    // MATH: \boxed with nested braces
    [InlineData("so $x = \\boxed{\\frac{1}{2}}$.", "boxed", "\\frac{1}{2}")]
    [InlineData("\\boxed{1} then \\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "boxed", "\\left( 3, \\frac{\\pi}{2} \\right)")]
    [InlineData("\\boxed 5", "boxed", "5")]
    [InlineData("\\boxed{unbalanced", "boxed", null)]
    [InlineData("\\fbox{7}", "boxed", "7")]
    // the answer is
    [InlineData("Thus, the answer is 3.5. Done.", "phrase", "3.5")]
    [InlineData("The final answer is: $12$", "phrase", "12")]
    [InlineData("the answer is 42\nand more", "phrase", "42")]
    // auto: boxed first, then ####, then A:, then the phrase
    [InlineData("A: 3\n\\boxed{4}", "auto", "4")]
    [InlineData("work\n#### 18", "auto", "18")]
    [InlineData("1+2=3\nA: 3\n", "auto", "3")]
    [InlineData("So the answer is 10.", "auto", "10")]
    [InlineData("nothing here", "auto", null)]
    // auto's last resort is the last math expression; stated (whether a search step ends) has none
    [InlineData("We set $x = 3$ and continue.", "auto", "x = 3")]
    [InlineData("We set $x = 3$ and continue.", "stated", null)]
    [InlineData("Final Answer: 7", "stated", "7")]
    [InlineData("the total is \\(\n12\n\\) and \\[ 14 \\]", "auto", "14")]
    [InlineData("costs \\$5 and \\$6", "auto", null)]
    // a think block is reasoning; boxes side by side are one answer
    [InlineData("<think>\\boxed{1}</think>So \\boxed{2}", "auto", "2")]
    [InlineData("<think>so \\boxed{1}</think>", "auto", "1")]
    [InlineData("\\boxed{1}, \\boxed{2} and \\boxed{3}", "boxed", "1, 2, 3")]
    [InlineData("\\boxed{1} is wrong. So \\boxed{2}", "boxed", "2")]
    [InlineData("\\boxed{1} and \\boxed{2", "boxed", null)]
    [InlineData("**Final Answer:** The largest $n$ is $34$.", "phrase", "34")]
    [InlineData("Final Answer: The largest n is 34.", "phrase", "34")]
    public void Extracts_answers(string text, string format, string? expected)
    {
        Assert.Equal(expected, AnswerExtractor.Extract(text, AnswerExtractor.ParseFormat(format)));
    }

    [Theory]
    [InlineData("72", "72", true)]
    [InlineData("72", "73", false)]
    [InlineData("1,234", "1234", true)]            // thousands separator
    [InlineData("1234567", "1,234,567", true)]
    [InlineData("1,23", "123", false)]              // not a thousands separator
    [InlineData("0.5", "1/2", true)]                // decimal vs fraction
    [InlineData("\\frac{1}{2}", "0.50", true)]
    [InlineData("\\dfrac{3}{4}", "3/4", true)]
    [InlineData("\\tfrac{6}{8}", "0.75", true)]
    [InlineData("\\frac12", "0.5", true)]
    [InlineData("-3", "- 3", true)]                 // signs
    [InlineData("-3", "3", false)]
    [InlineData("+5", "5", true)]
    [InlineData("-\\frac{1}{3}", "-1/3", true)]
    [InlineData("50\\%", "50", true)]               // percent
    [InlineData("50%", "50 percent", true)]
    [InlineData("\\$18", "18", true)]               // currency
    [InlineData("$18.00", "18", true)]
    [InlineData("18 dollars", "18", true)]
    [InlineData("5 cm", "5", true)]                 // units
    [InlineData("90^\\circ", "90", true)]
    [InlineData("12 \\text{ inches}", "12", true)]
    [InlineData("$\\frac{5}{2}$", "2.5", true)]     // surrounding $...$
    [InlineData("\\(7\\)", "7", true)]
    [InlineData("x = 4", "4", true)]
    [InlineData("3.14", "3.140", true)]
    [InlineData("3.14", "3.15", false)]
    [InlineData("\\text{(C)}", "(c)", true)]        // text answers: normalised text
    [InlineData("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})", true)]
    [InlineData("x^2+1", "x^2 + 1", true)]
    [InlineData("x^2+1", "x^2+2", false)]
    [InlineData("1/0", "1/0", true)]                // not a number: compared as text
    public void Compares_answers(string gold, string predicted, bool equivalent)
    {
        Assert.Equal(equivalent, AnswerEquivalence.Equivalent(gold, predicted));
        Assert.Equal(equivalent, AnswerEquivalence.Equivalent(predicted, gold));
    }

    [Fact]
    public void A_missing_answer_is_never_equivalent()
    {
        Assert.False(AnswerEquivalence.Equivalent("5", null));
        Assert.False(AnswerEquivalence.Equivalent(null, null));
    }

    [Fact]
    public void Unknown_formats_are_named()
    {
        var error = Assert.Throws<ArgumentException>(() => AnswerExtractor.ParseFormat("latex"));
        Assert.Contains("gsm8k", error.Message);
    }
}
