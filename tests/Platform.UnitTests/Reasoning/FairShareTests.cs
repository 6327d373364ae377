using Microsoft.Extensions.Configuration;
using Platform.Reasoning.Scheduling;
using Platform.Router.Admission;

namespace Platform.UnitTests.Reasoning;

public sealed class FairShareTests
{
    private static readonly Guid A = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid B = Guid.Parse("00000000-0000-0000-0000-00000000000b");
    private static readonly Guid C = Guid.Parse("00000000-0000-0000-0000-00000000000c");

    public sealed record Case(string Name, Contender[] Contenders, int Free, int PerBatch, Dictionary<Guid, int> Expected)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases => new()
    {
        // A batch alone takes every free slot, up to what it has waiting.
        new("alone", [new(A, "k1", 1, 0, 100_000)], 1024, 0, new() { [A] = 1024 }),
        new("alone, little waiting", [new(A, "k1", 1, 0, 10)], 1024, 0, new() { [A] = 10 }),
        // A small batch behind a large one that holds the slots: every slot freed goes to the small one until it is level.
        new("small behind large", [new(A, "k1", 1, 1000, 99_000), new(B, "k2", 1, 0, 10)], 24, 0, new() { [A] = 14, [B] = 10 }),
        new("two equal newcomers split evenly", [new(A, "k1", 1, 0, 500), new(B, "k2", 1, 0, 500)], 100, 0, new() { [A] = 50, [B] = 50 }),
        // Weights: interactive (8) against sweep (1) from two submitters.
        new("weighted 8:1", [new(A, "k1", 8, 0, 500), new(B, "k2", 1, 0, 500)], 90, 0, new() { [A] = 80, [B] = 10 }),
        // The lowest class still progresses when a higher one has plenty waiting.
        new("sweep not starved", [new(A, "k1", 8, 40, 5000), new(B, "sweep", 1, 0, 5000)], 10, 0, new() { [A] = 5, [B] = 5 }),
        // A submitter's weight is split between its batches: two batches of k1 share what one batch of k2 gets.
        new("per submitter first", [new(A, "k1", 1, 0, 500), new(C, "k1", 1, 0, 500), new(B, "k2", 1, 0, 500)], 100, 0, new() { [A] = 25, [C] = 25, [B] = 50 }),
        // Limits: per batch, and per submitter (what one cannot take goes to the others).
        new("per batch limit", [new(A, "k1", 1, 0, 500), new(B, "k2", 1, 0, 500)], 100, 30, new() { [A] = 30, [B] = 30 }),
        new("per submitter limit", [new(A, "k1", 1, 15, 500, SubmitterLimit: 20), new(B, "k2", 1, 0, 500)], 100, 0, new() { [A] = 5, [B] = 95 }),
        new("nothing free", [new(A, "k1", 1, 10, 500)], 0, 0, new()),
        new("nothing waiting", [new(A, "k1", 1, 10, 0)], 50, 0, new()),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Shares_free_slots(Case c)
    {
        var shares = FairShare.Allocate(c.Contenders, c.Free, c.PerBatch);
        Assert.Equal(c.Expected.OrderBy(x => x.Key), shares.OrderBy(x => x.Key));
        Assert.True(shares.Values.Sum() <= c.Free);
    }

    [Theory]
    [InlineData(null, null, null, "batch")]
    [InlineData("team-a", "batch", null, "batch")]
    [InlineData("team-a", "sweep", null, "sweep")]
    [InlineData("team-a", "interactive", "'team-a' may submit at priority batch at most (was 'interactive'; Router:Admission:Submitters:team-a:MaxPriority)", null)]
    [InlineData("ui", "interactive", null, "interactive")]
    [InlineData("team-a", "urgent", "the priority must be one of interactive, batch, sweep (was 'urgent')", null)]
    [InlineData("sweep", null, null, "sweep")]
    [InlineData("sweep", "batch", "'sweep' may submit at priority sweep at most (was 'batch'; Router:Admission:Submitters:sweep:MaxPriority)", null)]
    public void Priority_within_the_submitters_limit(string? submitter, string? priority, string? problem, string? effective)
    {
        var options = new AdmissionOptions();
        options.Submitters["ui"] = new SubmitterShare { Weight = 4, MaxPriority = PriorityClasses.Interactive };
        Assert.Equal(problem, options.PriorityProblem(submitter, priority));
        if (effective is not null)
        {
            Assert.Equal(effective, options.EffectivePriority(submitter, priority));
        }
    }

    [Theory]
    [InlineData("MaxRunsInFlight", "-1", "Router:Admission:MaxRunsInFlight")]
    [InlineData("IntervalMilliseconds", "0", "Router:Admission:IntervalMilliseconds")]
    [InlineData("DefaultMaxPriority", "urgent", "Router:Admission:DefaultMaxPriority")]
    [InlineData("ClassWeights:urgent", "2", "Router:Admission:ClassWeights:urgent")]
    [InlineData("ClassWeights:batch", "0", "Router:Admission:ClassWeights:batch")]
    [InlineData("Submitters:team-a:Weight", "0", "Router:Admission:Submitters:team-a")]
    [InlineData("Submitters:team-a:MaxPriority", "top", "Router:Admission:Submitters:team-a")]
    public void Bad_settings_name_the_setting(string key, string value, string named)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var options = new AdmissionOptions();
        configuration.Bind(options);
        Assert.Contains(named, options.Problem());
        Assert.Null(new AdmissionOptions().Problem());
    }
}
