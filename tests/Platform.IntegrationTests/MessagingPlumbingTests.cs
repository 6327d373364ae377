using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Hosting;

namespace Platform.IntegrationTests;

public record PlumbingPing
{
    public Guid Id { get; init; }
    public string Text { get; init; } = "";
}

public sealed class PlumbingPingConsumer(PingInbox inbox) : IConsumer<PlumbingPing>
{
    public Task Consume(ConsumeContext<PlumbingPing> context)
    {
        inbox.Receive(context.Message, context.ReceiveContext.InputAddress);
        return Task.CompletedTask;
    }
}

public sealed class PingInbox
{
    private readonly TaskCompletionSource<(PlumbingPing Message, Uri Address)> _received = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Receive(PlumbingPing message, Uri address) => _received.TrySetResult((message, address));

    public Task<(PlumbingPing Message, Uri Address)> Received => _received.Task;
}

[Collection(ServersCollection.Name)]
public sealed class MessagingPlumbingTests(Servers servers)
{
    [Fact]
    public async Task A_message_published_through_RabbitMQ_is_consumed_on_a_kebab_case_queue()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(servers.HostSettings("unused"));
        builder.Services.AddSingleton<PingInbox>();
        builder.AddPlatformMessaging("plumbing-test", [], x => x.AddConsumer<PlumbingPingConsumer>());

        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            Assert.Equal("rabbitmq", bus.Address.Scheme);

            var sent = new PlumbingPing { Id = Guid.NewGuid(), Text = "over the wire" };
            await bus.Publish(sent);

            var inbox = host.Services.GetRequiredService<PingInbox>();
            var (received, address) = await inbox.Received.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(sent, received);
            Assert.Equal("plumbing-ping", address.AbsolutePath.Trim('/').Split('/').Last());
            Assert.Equal(servers.RabbitPort, address.Port);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
