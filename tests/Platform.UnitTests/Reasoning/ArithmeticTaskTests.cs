using Platform.Reasoning.Arithmetic;

namespace Platform.UnitTests.Reasoning;

public sealed class ArithmeticTaskTests
{
    [Theory]
    [InlineData("(37+48)*3-19", 236, "37+48=85|85*3=255|255-19=236")]
    [InlineData("7", 7, "")]
    [InlineData("2+3*4", 14, "3*4=12|2+12=14")]
    [InlineData("715-(511+11)+409", 602, "511+11=522|715-522=193|193+409=602")]
    [InlineData("(26*(1+8)+86-72)*2-16", 480, "1+8=9|26*9=234|234+86=320|320-72=248|248*2=496|496-16=480")]
    [InlineData(" 10 - 4 - 3 ", 3, "10-4=6|6-3=3")]
    public void Parses_and_solves_in_evaluation_order(string text, int value, string steps)
    {
        var expression = ArithmeticExpression.Parse(text);
        Assert.Equal(value, expression.Value);
        Assert.Equal(steps, string.Join("|", expression.Steps()));
    }

    [Theory]
    [InlineData("(1+2")]
    [InlineData("1+")]
    [InlineData("1/2")]
    [InlineData("")]
    [InlineData("1 2")]
    public void Rejects_malformed_expressions(string text)
    {
        Assert.Throws<FormatException>(() => ArithmeticExpression.Parse(text));
    }

    [Fact]
    public void The_same_seed_gives_the_same_problems_and_another_seed_others()
    {
        var spec = new ArithmeticSpec();
        var a = new ArithmeticGenerator(spec, 42).Generate(200).Select(p => p.Problem).ToList();
        var b = new ArithmeticGenerator(spec, 42).Generate(200).Select(p => p.Problem).ToList();
        var c = new ArithmeticGenerator(spec, 43).Generate(200).Select(p => p.Problem).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData(1, 1, 1, 1, 0.0)]
    [InlineData(3, 3, 2, 2, 0.0)]
    [InlineData(6, 6, 3, 3, 1.0)]
    [InlineData(1, 6, 1, 3, 0.3)]
    public void Generated_problems_respect_the_dials_and_reparse_to_the_same_solution(int minOps, int maxOps, int minDigits, int maxDigits, double nesting)
    {
        var spec = new ArithmeticSpec { MinOperations = minOps, MaxOperations = maxOps, MinDigits = minDigits, MaxDigits = maxDigits, Nesting = nesting };
        foreach (var p in new ArithmeticGenerator(spec, 7).Generate(300))
        {
            Assert.InRange(p.Level, minOps, maxOps);
            Assert.InRange(p.Digits, minDigits, maxDigits);
            var reparsed = ArithmeticExpression.Parse(p.Problem);
            Assert.Equal(p.Expression.Steps(), reparsed.Steps());
            Assert.All(p.Expression.Steps(), s => Assert.InRange(s.Result, 0, spec.MaxValue));
            Assert.All(p.Expression.Steps().Where(s => s.Operator == '*'), s => Assert.True(s.Right is >= 2 and <= 9 || s.Left is >= 2 and <= 9));
            Assert.True(StepChecker.IsFullyCorrect(p.Problem, p.Solution));
            Assert.Equal(p.Answer.ToString(), ArithmeticFormat.ExtractAnswer(p.Solution));
        }
    }

    [Fact]
    public void Nesting_one_brackets_right_operands_and_nesting_zero_never_does()
    {
        var nested = new ArithmeticGenerator(new ArithmeticSpec { MinOperations = 4, MaxOperations = 6, Nesting = 1.0 }, 3).Generate(100).ToList();
        var flat = new ArithmeticGenerator(new ArithmeticSpec { MinOperations = 4, MaxOperations = 6, Nesting = 0.0 }, 3).Generate(100).ToList();
        Assert.True(nested.Count(p => p.Nested) > 80);
        Assert.DoesNotContain(flat, p => p.Nested);
    }

    public static TheoryData<string, string, string> Verdicts => new()
    {
        // problem, candidate solution, expected verdict per step (+ correct, - wrong)
        { "(37+48)*3-19", "37+48=85\n85*3=255\n255-19=236\nA: 236\n", "++++" },
        { "(37+48)*3-19", "48+37=85\n85*3=255\n255-19=236\nA: 236\n", "++++" },
        { "(37+48)*3-19", "37+48=86\n86*3=258\n258-19=239\nA: 239\n", "----" },
        { "(37+48)*3-19", "37+48=85\n85*3=245\n245-19=226\nA: 226\n", "+---" },
        { "(37+48)*3-19", "37+48=85\n85*3=255\n255-19=236\nA: 237\n", "+++-" },
        { "(37+48)*3-19", "37+48=85\n85*3=255\nA: 255\n", "++-" },
        { "(37+48)*3-19", "37+48=85\n3*85=255\n19-255=236\nA: 236\n", "++--" },
        { "(37+48)*3-19", "37+48=85\n85*3=2x5\n", "+-" },
        { "(37+48)*3-19", "37+48=85\n85*3=255\n255-19=236\n236+0=236\nA: 236\n", "+++--" },
        { "5-3", "5-3=2\nA: 2", "++" },
    };

    [Theory]
    [MemberData(nameof(Verdicts))]
    public void The_step_checker_judges_every_step_as_a_prefix(string problem, string solution, string expected)
    {
        var verdicts = StepChecker.Check(problem, solution);
        Assert.Equal(expected, string.Concat(verdicts.Select(v => v.Correct ? '+' : '-')));
        Assert.Equal(expected.All(c => c == '+'), StepChecker.IsFullyCorrect(problem, solution));
    }

    [Theory]
    [InlineData("1+2=3\nA: 3\n", "3")]
    [InlineData("1+2=3\nA: 3\nA: 4\n", "4")]
    [InlineData("1+2=3\n", null)]
    [InlineData("A: \n", null)]
    public void Extracts_the_last_answer_line(string solution, string? answer)
    {
        Assert.Equal(answer, ArithmeticFormat.ExtractAnswer(solution));
    }
}
