using System.CommandLine;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;
using Platform.Training.Evaluation;

namespace Platform.Training.Commands;

/// <summary><c>ttc-train probe-prm</c>: pairwise checks of whether a verifier checks arithmetic.</summary>
public static class ProbePrmCommand
{
    public static Command Create()
    {
        var prm = new Option<DirectoryInfo[]>("--prm") { Required = true, AllowMultipleArgumentsPerToken = true };
        var heldout = new Option<FileInfo>("--heldout") { Description = "Problems whose reference steps are probed", Required = true };
        var problems = new Option<int>("--problems") { DefaultValueFactory = _ => 600 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 4242UL };
        var command = new Command("probe-prm", "Right step against the same step corrupted (off by one, digit changed, wrong operand); chance is half");
        foreach (var o in new Option[] { prm, heldout, problems, seed })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            var texts = ArithmeticRecord.ReadAll(parse.GetValue(heldout)!.FullName).Take(parse.GetValue(problems)).Select(p => p.Problem).ToList();
            foreach (var dir in parse.GetValue(prm)!)
            {
                using var scorer = PrmScorer.Open(ModelDirectory.Load(dir.FullName), new InferenceOptions());
                Console.WriteLine($"{dir.Name}: {PrmProbe.Describe(PrmProbe.Run(scorer, texts, parse.GetValue(seed)))}");
            }

            return 0;
        });
        return command;
    }
}
