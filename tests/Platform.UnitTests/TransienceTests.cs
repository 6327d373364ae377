using System.Net.Sockets;
using Npgsql;
using Platform.Hosting;

namespace Platform.UnitTests;

/// <summary>Which faults are waited out (infrastructure) and which fail fast (the message's own).</summary>
public sealed class TransienceTests
{
    public static TheoryData<Exception, bool> Cases() => new()
    {
        { new NpgsqlException("connection refused", new SocketException(111)), true },
        { new InvalidOperationException("saving failed", new NpgsqlException("broken pipe")), true },
        { new SocketException(104), true },
        { new TimeoutException(), true },
        { new IOException("connection reset"), true },
        { new AggregateException(new ArgumentException("x"), new TimeoutException()), true },
        { new ArgumentException("bad plan"), false },
        { new InvalidDataException("round 3 has no controller state"), false },
        { new System.Text.Json.JsonException("not json"), false },
        { new InvalidOperationException("a bug"), false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Infrastructure_faults_are_told_from_the_messages_own(Exception exception, bool infrastructure)
    {
        Assert.Equal(infrastructure, Transience.IsInfrastructure(exception));
    }

    [Fact]
    public void The_backoff_waits_out_several_minutes()
    {
        var total = PlatformConsumerDefinition<NoConsumer>.InfrastructureBackoff.Aggregate(TimeSpan.Zero, (a, b) => a + b);
        Assert.InRange(total, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(10));
    }

    private sealed class NoConsumer : MassTransit.IConsumer
    {
    }
}
