using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;

namespace Platform.Inference.Tests;

/// <summary>
/// Budget forcing token by token on gen-small, whose thinking is the step lines and whose
/// end-of-thinking marker is the answer prefix "A:". Each forced run is checked against plain
/// greedy decoding of the text it should be equivalent to.
/// </summary>
[Collection(ShippedModelsCollection.Name)]
public sealed class BudgetForcingTests(ShippedModels models)
{
    private const string Problem = "(37+48)*3-19";
    private static readonly string Prompt = ArithmeticFormat.Prompt(Problem);

    private GeneratedSequence Greedy(string prompt, BudgetForcing? forcing = null)
    {
        var result = models.Generator.Generate([new GenerationRequest
        {
            Prompt = prompt, Sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = 100 }, BudgetForcing = forcing,
        }])[0];
        Assert.Null(result.Error);
        return result.Samples[0];
    }

    [Fact]
    public void At_the_maximum_the_marker_is_forced_and_the_model_answers_from_there()
    {
        var plain = Greedy(Prompt);
        var forced = Greedy(Prompt, new BudgetForcing { EndOfThinking = "A:", MaxThinkingTokens = 6 });

        var thought = plain.Text[..6];                    // the first six thinking tokens, as greedy wrote them
        Assert.StartsWith(thought + "A:", forced.Text);
        var tail = Greedy(Prompt + thought + "A:");       // what greedy decoding writes after that text
        Assert.Equal(thought + "A:" + tail.Text, forced.Text);
        Assert.Equal(plain.Tokens[..6], forced.Tokens[..6]);
        Assert.Equal(tail.Tokens, forced.Tokens[8..]);
        Assert.Equal(0, forced.Waits);
    }

    [Fact]
    public void Stopping_before_the_minimum_is_taken_back_and_the_continuation_written_instead()
    {
        var plain = Greedy(Prompt);
        var marker = plain.Text.IndexOf("A:", StringComparison.Ordinal);
        Assert.True(marker > 0, "the model should reach an answer line");
        var thought = plain.Text[..marker];

        var forced = Greedy(Prompt, new BudgetForcing
        {
            EndOfThinking = "A:", MinThinkingTokens = marker + 10, MaxWaits = 1, Continuation = "\n",
        });

        // "A:" was written, taken back (its cached position hidden), and "\n" appended once.
        Assert.Equal(1, forced.Waits);
        Assert.Equal(2, forced.Suppressed);
        Assert.StartsWith(thought + "\n", forced.Text);
        var tail = Greedy(Prompt + thought + "\n");
        Assert.Equal(thought + "\n" + tail.Text, forced.Text);
        Assert.Equal(plain.Tokens[..marker], forced.Tokens[..marker]);
    }

    [Fact]
    public void Without_waits_left_the_model_may_stop_and_a_bad_setting_is_an_error()
    {
        var plain = Greedy(Prompt);
        var noWaits = Greedy(Prompt, new BudgetForcing { EndOfThinking = "A:", MinThinkingTokens = 1000, MaxWaits = 0 });
        Assert.Equal(plain.Text, noWaits.Text);

        var bad = models.Generator.Generate([new GenerationRequest
        {
            Prompt = Prompt, BudgetForcing = new BudgetForcing { EndOfThinking = "A:", MinThinkingTokens = 5, Continuation = "Wait" },
        }])[0];
        Assert.Contains("'W'", bad.Error);
        var noMarker = models.Generator.Generate([new GenerationRequest { Prompt = Prompt, BudgetForcing = new BudgetForcing() }])[0];
        Assert.Contains("end-of-thinking", noMarker.Error);
    }
}
