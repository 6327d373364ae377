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
        var maxRedrives = new Option<int>("--max-redrives") { Description = "Keep a message that was sent back this many times already", DefaultValueFactory = _ => 2 };
        var force = new Option<bool>("--force") { Description = "Send back every message, even one whose fault is in the message itself" };
        var command = new Command("redrive", "Send the messages of QUEUE_error back to QUEUE; explain those that would only fail again and keep them");
        command.Arguments.Add(queue);
        command.Options.Add(max);
        command.Options.Add(maxRedrives);
        command.Options.Add(force);
        command.SetAction(async (parse, ct) =>
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var options = configuration.GetSection(MessagingOptions.Section).Get<MessagingOptions>() ?? new MessagingOptions();
            if (new MessagingOptionsValidator().Validate(null, options) is { Failed: true } invalid)
            {
                Console.Error.WriteLine($"error: {invalid.FailureMessage}");
                return 2;
            }

            var name = parse.GetValue(queue)!;
            var report = await Redrive.Run(options, name, parse.GetValue(max), ct, parse.GetValue(maxRedrives), parse.GetValue(force));
            Console.WriteLine($"{report.Moved} message(s) sent back from {name}_error to {name}");
            foreach (var kept in report.Kept)
            {
                Console.WriteLine($"kept in {name}_error: message {kept.MessageId ?? "(no id)"}: {kept.ExceptionType}: {kept.Fault}");
                Console.WriteLine($"  not sent back: {kept.Why}");
            }

            return report.Kept.Count > 0 ? 1 : 0;
        });
        return command;
    }
}
