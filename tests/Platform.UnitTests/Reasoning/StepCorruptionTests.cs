using Platform.Reasoning.Arithmetic;

namespace Platform.UnitTests.Reasoning;

public sealed class StepCorruptionTests
{
    public static TheoryData<int, char, int, CorruptionKind> Steps()
    {
        var data = new TheoryData<int, char, int, CorruptionKind>();
        foreach (var kind in StepCorruption.Kinds)
        {
            data.Add(37, '+', 48, kind);
            data.Add(5, '-', 5, kind);    // result 0
            data.Add(999, '-', 0, kind);
            data.Add(1, '*', 2, kind);
            data.Add(111, '*', 9, kind);
            data.Add(0, '+', 0, kind);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void A_corrupted_step_is_wrong_in_the_way_its_kind_says(int left, char op, int right, CorruptionKind kind)
    {
        var step = new ArithmeticStep(left, op, right, ArithmeticStep.Apply(left, op, right));
        for (var seed = 0; seed < 50; seed++)
        {
            var wrong = StepCorruption.Corrupt(step, kind, new Random(seed));
            Assert.NotEqual(step, wrong);
            Assert.True(wrong.Result >= 0 && wrong.Left >= 0 && wrong.Right >= 0, wrong.ToString());
            Assert.Equal(op, wrong.Operator);
            var checker = StepChecker.Check($"{left}{op}{right}", wrong + "\n");
            Assert.False(checker[0].Correct);
            switch (kind)
            {
                case CorruptionKind.OffByOne:
                    Assert.Equal((left, right), (wrong.Left, wrong.Right));
                    Assert.Equal(1, Math.Abs(wrong.Result - step.Result));
                    break;
                case CorruptionKind.DigitChanged:
                    Assert.Equal((left, right), (wrong.Left, wrong.Right));
                    Assert.Equal(step.Result.ToString().Length, wrong.Result.ToString().Length);
                    Assert.Equal(1, step.Result.ToString().Zip(wrong.Result.ToString()).Count(p => p.First != p.Second));
                    break;
                default:
                    // A wrong operand with true arithmetic on it: the checker calls it a wrong operation.
                    Assert.NotEqual((left, right), (wrong.Left, wrong.Right));
                    Assert.Equal(ArithmeticStep.Apply(wrong.Left, op, wrong.Right), wrong.Result);
                    Assert.Equal("wrong operation", checker[0].Reason);
                    break;
            }
        }
    }

    [Theory]
    [InlineData("(37+48)*3-19", 0, "37+48=85\n")]
    [InlineData("(37+48)*3-19", 2, "37+48=85\n85*3=255\n255-19=236\n")]
    public void A_prefix_is_the_reference_solution_up_to_the_step(string problem, int index, string expected)
    {
        Assert.Equal(expected, StepCorruption.Prefix(ArithmeticExpression.Parse(problem), index));
    }

    [Fact]
    public void A_prefix_with_a_replacement_changes_only_its_last_step()
    {
        var expression = ArithmeticExpression.Parse("(37+48)*3-19");
        var prefix = StepCorruption.Prefix(expression, 1, new ArithmeticStep(85, '*', 3, 256));
        Assert.Equal("37+48=85\n85*3=256\n", prefix);
        var verdicts = StepChecker.Check("(37+48)*3-19", prefix);
        Assert.Equal([true, false], verdicts.Select(v => v.Correct));
        Assert.Throws<ArgumentOutOfRangeException>(() => StepCorruption.Prefix(expression, 3));
    }
}
