using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Platform.Hosting;

namespace Platform.Cli.Commands;

/// <summary><c>ttc redrive QUEUE</c>: send the messages of QUEUE_error back to QUEUE (broker from Messaging__RabbitMq__*).</summary>
public static class RedriveCommand
{
    public static Command Create()
    {
        var queue = new Argument<string>("QUEUE") { Description = "generate-candidates, score-candidates, run-planned, ..." };
        var max = new Option<int>("--max") { Description = "At most this many messages", DefaultValueFactory = _ => int.MaxValue };
        var command = new Command("redrive", "Send the messages of QUEUE_error back to QUEUE");
        command.Arguments.Add(queue);
        command.Options.Add(max);
        command.SetAction(async (parse, ct) =>
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var options = configuration.GetSection(MessagingOptions.Section).Get<MessagingOptions>() ?? new MessagingOptions();
            if (new MessagingOptionsValidator().Validate(null, options) is { Failed: true } invalid)
            {
                Console.Error.WriteLine($"error: {invalid.FailureMessage}");
                return 2;
            }

            var moved = await Redrive.Run(options, parse.GetValue(queue)!, parse.GetValue(max), ct);
            Console.WriteLine($"{moved} message(s) sent back from {parse.GetValue(queue)}_error to {parse.GetValue(queue)}");
            return 0;
        });
        return command;
    }
}
