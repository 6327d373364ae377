using System.CommandLine;
using Platform.Training.Model;

namespace Platform.Training.Commands;

/// <summary>
/// The optimiser's options, the same in every training command (steps, an early stop, batch size, learning rate,
/// seed, threads, checkpoints), read into one <see cref="TrainSettings"/>; each command gives its own learning rate and seed.
/// </summary>
public sealed class TrainOptions(double learningRate, int seed)
{
    public Option<int> Steps { get; } = new("--steps") { Description = "Optimizer steps", Required = true };
    public Option<int> StopAfter { get; } = new("--stop-after") { Description = "Stop after this many steps, keeping the learning-rate schedule of --steps", DefaultValueFactory = _ => 0 };
    public Option<int> Batch { get; } = new("--batch") { DefaultValueFactory = _ => 32 };
    public Option<double> LearningRate { get; } = new("--lr") { DefaultValueFactory = _ => learningRate };
    public Option<int> Seed { get; } = new("--seed") { DefaultValueFactory = _ => seed };
    public Option<int> Threads { get; } = new("--threads") { DefaultValueFactory = _ => 2 };
    public Option<int> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "Also save the weights every N steps", DefaultValueFactory = _ => 0 };

    /// <summary>Adds these options and then the command's own.</summary>
    public void AddTo(Command command, params Option[] own)
    {
        foreach (var o in new Option[] { Steps, StopAfter, Batch, LearningRate, Seed, Threads, CheckpointEvery }.Concat(own))
        {
            command.Options.Add(o);
        }
    }

    public TrainSettings Read(ParseResult parse) => new()
    {
        Steps = parse.GetValue(Steps), StopAfter = parse.GetValue(StopAfter), BatchSize = parse.GetValue(Batch), LearningRate = parse.GetValue(LearningRate),
        Seed = parse.GetValue(Seed), Threads = parse.GetValue(Threads), CheckpointEvery = parse.GetValue(CheckpointEvery),
    };
}
