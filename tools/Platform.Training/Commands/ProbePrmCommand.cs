using System.CommandLine;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Training.Evaluation;

namespace Platform.Training.Commands;

/// <summary><c>ttc-train probe-prm</c>: pairwise checks of whether a PRM verifies arithmetic.</summary>
public static class ProbePrmCommand
{
    public static Command Create()
    {
        var prm = new Option<DirectoryInfo[]>("--prm") { Required = true, AllowMultipleArgumentsPerToken = true };
        var problems = new Option<int>("--problems") { DefaultValueFactory = _ => 200 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 4242UL };
        var command = new Command("probe-prm", "Right vs off-by-one first step, right vs contradicting answer line (chance: half)");
        command.Options.Add(prm);
        command.Options.Add(problems);
        command.Options.Add(seed);
        command.SetAction(parse =>
        {
            foreach (var dir in parse.GetValue(prm)!)
            {
                using var scorer = PrmScorer.Open(ModelDirectory.Load(dir.FullName), new InferenceOptions());
                var r = PrmProbe.Run(scorer, parse.GetValue(problems), parse.GetValue(seed));
                Console.WriteLine($"{dir.Name}: first step right>wrong {r.FirstStepPreferred}/{r.Problems} (mean {r.RightFirstStepMean:F3} vs {r.WrongFirstStepMean:F3}); " +
                    $"answer line right>contradicting {r.AnswerLinePreferred}/{r.Problems}");
            }

            return 0;
        });
        return command;
    }
}
