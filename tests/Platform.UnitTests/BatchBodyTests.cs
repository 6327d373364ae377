using System.Text;
using Platform.Router.Api;

namespace Platform.UnitTests;

/// <summary>The strict reading of a <c>POST /batches</c> body: the confidence-aware settings are known fields.</summary>
public sealed class BatchBodyTests
{
    [Fact]
    public void Early_stop_and_confidence_are_read_into_the_batch()
    {
        var body = """{"strategy":"deepconf","n":16,"earlyStop":"rule=beta,wave=4","confidence":"warmup=4,window=8","problems":[{"text":"2+3","referenceAnswer":"5"}]}""";
        var (batch, errors) = BatchBody.Read(Encoding.UTF8.GetBytes(body));
        Assert.Empty(errors);
        Assert.Equal(("deepconf", "rule=beta,wave=4", "warmup=4,window=8"), (batch!.Strategy, batch.EarlyStop, batch.Confidence));
    }

    [Fact]
    public void A_misspelt_setting_is_named()
    {
        var (_, errors) = BatchBody.Read(Encoding.UTF8.GetBytes("""{"strategy":"deepconf","confidance":"keep=10","problems":[{"text":"2+3"}]}"""));
        Assert.Contains(errors, e => e.Field.Contains("confidance", StringComparison.Ordinal));
    }
}
