using Platform.Contracts;
using Platform.Reasoning.Planning;
using Platform.Router;
using Platform.Router.Planning;
using Platform.Storage.Entities;

namespace Platform.UnitTests;

/// <summary>Text that PostgreSQL and the tokenizer cannot take is refused naming the field; the rest of the batch goes on.</summary>
public sealed class StorableTextTests
{
    // Written escaped and unescaped in the test: a lone surrogate does not survive xunit's serialization of theory data.
    public static TheoryData<string, string?> Texts() => new()
    {
        { "2+3", null },
        { "", null },
        { @"π ≈ 3.14 \uD83D\uDE00", null }, // a surrogate pair is fine
        { @"2\u00003", "NUL character (U+0000) at offset 1" },
        { @"ab\uD800", "lone surrogate (U+D800) at offset 2" },
        { @"\uDC00x", "lone surrogate (U+DC00) at offset 0" },
        { @"\uDC00\uD800", "lone surrogate (U+DC00) at offset 0" }, // reversed pair
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Unstorable_characters_are_named_with_their_offset(string escaped, string? problem)
    {
        var text = System.Text.RegularExpressions.Regex.Unescape(escaped);
        var found = StorableText.Problem(text);
        if (problem is null)
        {
            Assert.Null(found);
            Assert.Same(text, StorableText.Storable(text));
        }
        else
        {
            Assert.Contains(problem, found);
            Assert.Null(StorableText.Problem(StorableText.Storable(text)));
        }
    }

    private static readonly BatchPlanner Planner = new(new RouterOptions { PolicyFile = "/nonexistent/policy.json" }, TimeProvider.System);

    [Fact]
    public void A_problem_with_an_unstorable_field_fails_alone_and_is_stored_in_a_storable_form()
    {
        var submit = new SubmitBatch
        {
            BatchId = Guid.NewGuid(), Strategy = "greedy",
            Problems =
            [
                new ProblemSubmission { Text = "2+\u00003" },
                new ProblemSubmission { Text = "12+30", ReferenceAnswer = "4\u00002" },
                new ProblemSubmission { Text = "5+5", ExternalId = "id-\uD800" },
                new ProblemSubmission { Text = "7*6", ReferenceAnswer = "42" },
            ],
        };
        var decision = Planner.Plan(submit);
        Assert.Null(decision.Rejection);
        Assert.Equal(["Text", "ReferenceAnswer", "ExternalId"], decision.Runs.Take(3).Select(r => r.Run.FailureReason!.Split(':')[0]));
        Assert.All(decision.Runs.Take(3), r => Assert.Equal(RunStatus.Failed, r.Run.Status));
        Assert.NotNull(decision.Runs[3].Plan);
        Assert.Equal(3, decision.Batch.RunsEnded);
        Assert.All(decision.Runs, r => Assert.True(StorableText.Problem(r.Problem.Text) is null && StorableText.Problem(r.Problem.ReferenceAnswer) is null
            && StorableText.Problem(r.Problem.ExternalId) is null && StorableText.Problem(r.Run.FailureReason) is null));
    }

    [Theory]
    [InlineData("Name")]
    [InlineData("Source")]
    [InlineData("GeneratorModel")]
    [InlineData("Strategy")]
    public void A_batch_level_field_that_cannot_be_stored_rejects_the_batch_naming_it_and_the_batch_row_stays_storable(string field)
    {
        var bad = "x\u0000y";
        var submit = new SubmitBatch { BatchId = Guid.NewGuid(), Problems = [new ProblemSubmission { Text = "2+3" }] };
        submit = field switch
        {
            "Name" => submit with { Name = bad },
            "Source" => submit with { Source = bad },
            "GeneratorModel" => submit with { GeneratorModel = bad },
            _ => submit with { Strategy = bad },
        };
        var decision = Planner.Plan(submit);
        Assert.Equal(field, decision.Rejection?.Field);
        Assert.Contains("NUL", decision.Rejection!.Reason);
        Assert.Equal(BatchStatus.Rejected, decision.Batch.Status);
        Assert.True(StorableText.Problem(decision.Batch.Name) is null && StorableText.Problem(decision.Batch.Source) is null
            && StorableText.Problem(decision.Batch.RequestedStrategy) is null && StorableText.Problem(decision.Batch.RejectionReason) is null);
    }

    // Found by the fuzz test (FuzzTests): a lone surrogate escaped in a field of a dataset layout threw instead of naming the field.
    [Theory]
    [InlineData("""{"question": "\ud800", "answer": "#### 4"}""", "field 'question' contains a lone surrogate")]
    [InlineData("""{"question": "2+2", "answer": "x\udc00 #### 4"}""", "field 'answer' contains a lone surrogate")]
    [InlineData("""{"problem": "\udfff\ud800", "answer": "1", "unique_id": "a"}""", "field 'problem' contains a lone surrogate")]
    [InlineData("""{"problem": "2+3", "answer": "5", "id": "\ud800"}""", "field 'id' contains a lone surrogate")]
    public void A_lone_surrogate_escape_in_a_dataset_layout_is_a_line_error_naming_the_field(string line, string reason)
    {
        var (problems, errors, _) = Platform.Reasoning.Ingestion.ProblemLines.Parse([line]);
        Assert.Empty(problems);
        Assert.Contains(reason, Assert.Single(errors).Reason);
    }

    [Fact]
    public void A_data_file_line_with_an_unstorable_field_is_skipped_with_its_number_and_field()
    {
        var (problems, errors, _) = Platform.Reasoning.Ingestion.ProblemLines.Parse(
        [
            """{"problem": "2+3", "answer": "5"}""",
            """{"problem": "4\u00005", "answer": "9"}""",
            """{"problem": "7+1", "answer": "8\u0000"}""",
        ]);
        Assert.Single(problems);
        Assert.Equal([2, 3], errors.Select(e => e.Line));
        Assert.StartsWith("text: contains a NUL", errors[0].Reason);
        Assert.StartsWith("reference answer: contains a NUL", errors[1].Reason);
    }

    [Theory]
    [InlineData("GeneratorModel", "../../../../etc", "not a path")]
    [InlineData("VerifierModel", "/etc/passwd", "not a path")]
    [InlineData("ReviseModel", "", "1 to 128 characters")]
    [InlineData("GeneratorModel", "gen-small", null)]
    [InlineData("VerifierModel", "Qwen2.5-Math-PRM_7B", null)]
    public void A_model_name_that_is_not_a_catalog_name_rejects_the_batch_naming_the_field(string field, string name, string? reason)
    {
        var submit = new SubmitBatch { BatchId = Guid.NewGuid(), Strategy = "weighted-best-of-n", N = 4, Problems = [new ProblemSubmission { Text = "2+3" }] };
        submit = field switch
        {
            "GeneratorModel" => submit with { GeneratorModel = name },
            "VerifierModel" => submit with { VerifierModel = name },
            _ => submit with { ReviseModel = name },
        };
        var rejection = Planner.Validate(submit);
        if (reason is null)
        {
            Assert.Null(rejection);
        }
        else
        {
            Assert.Equal(field, rejection?.Field);
            Assert.Contains(reason, rejection!.Reason);
        }
    }
}
