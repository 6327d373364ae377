using Platform.Inference.Models;
using Platform.Inference.Templates;

namespace Platform.Inference.Verifiers;

/// <summary>A verifier's input for one solution: its token ids and the position each step's score is read at.</summary>
public sealed record VerifierInput(int[] Ids, int[] ReadAt);

/// <summary>
/// The input each public reward-model family is fed, built as its model card builds it, from the
/// problem and the solution cut into steps at the run's step delimiter. A solution that cannot be read
/// (no step, a tag that does not appear once per step) is an <see cref="ArgumentException"/> with the reason.
/// </summary>
public static class FamilyInputs
{
    /// <summary>The steps of a solution: the text between delimiters, empty pieces dropped.</summary>
    public static List<string> Steps(string solution, string delimiter) =>
        [.. solution.Split(delimiter).Where(s => s.Length > 0)];

    public static VerifierInput Build(VerifierFamily family, ModelDirectory model, string problem, string solution, string delimiter)
    {
        if (delimiter.Length == 0)
        {
            throw new ArgumentException("the step delimiter is empty");
        }

        var steps = Steps(solution, delimiter);
        if (steps.Count == 0)
        {
            throw new ArgumentException("the solution has no step");
        }

        return family.Family switch
        {
            VerifierFamily.QwenPrm => QwenPrm(family, model, problem, steps),
            VerifierFamily.MathShepherd => MathShepherd(family, model, problem, solution, delimiter),
            VerifierFamily.ChatJudge => ChatJudge(family, model, problem, steps),
            VerifierFamily.ValueHead => ValueHead(family, model, problem, solution, family.StepTag ?? delimiter),
            VerifierFamily.Outcome => Outcome(model, problem, solution),
            _ => throw new InvalidOperationException($"family {family.Family} is not read by token positions"),
        };
    }

    /// <summary>Qwen2.5-Math-PRM: system, problem, the steps joined by the separator and ended by it; read at every separator.</summary>
    private static VerifierInput QwenPrm(VerifierFamily family, ModelDirectory model, string problem, List<string> steps)
    {
        var separator = family.StepTag ?? "<extra_0>";
        var tag = SingleToken(model, separator, "step_tag");
        var text = Template(model).Render(
            [new("system", family.SystemPrompt ?? VerifierFamily.QwenPrmSystemPrompt), new("user", problem), new("assistant", string.Join(separator, steps) + separator)],
            addGenerationPrompt: false);
        var ids = model.Tokenizer.EncodeWithSpecialTokens(text); // tokenizer.encode(conversation_str)
        return new VerifierInput(ids, Positions(ids, tag, steps.Count, separator));
    }

    /// <summary>Math-Shepherd: the problem, a space, the solution with the tag before every delimiter (and at its end); read at every tag.</summary>
    private static VerifierInput MathShepherd(VerifierFamily family, ModelDirectory model, string problem, string solution, string delimiter)
    {
        var tagText = family.StepTag ?? "ки";
        var tagged = solution.Replace(delimiter, " " + tagText + delimiter, StringComparison.Ordinal);
        if (!solution.EndsWith(delimiter, StringComparison.Ordinal))
        {
            tagged += " " + tagText;
        }

        var head = string.IsNullOrEmpty(family.SystemPrompt) ? problem : family.SystemPrompt + "\n" + problem;
        var ids = model.Tokenizer.EncodeWithSpecialTokens(head + " " + tagged);
        var tag = model.Tokenizer.EncodeWithSpecialTokens(tagText)[^1]; // tokenizer.encode("ки")[-1]
        var tags = tagged.Split(" " + tagText).Length - 1;
        return new VerifierInput(ids, Positions(ids, tag, tags, tagText));
    }

    /// <summary>
    /// Chat-judged steps (RLHFlow): each step a user turn (the first with the problem before it) and the
    /// good token the assistant's; read where the model predicts each assistant turn's token, as the card
    /// reads position -3 of the conversation up to that step (the same place under Llama 3.1's template).
    /// </summary>
    private static VerifierInput ChatJudge(VerifierFamily family, ModelDirectory model, string problem, List<string> steps)
    {
        var template = Template(model);
        var good = model.Tokenizer.EncodeWithSpecialTokens(family.GoodToken)[^1];
        var conversation = new List<ChatMessage>();
        var reads = new List<int>();
        int[] ids = [];
        for (var k = 0; k < steps.Count; k++)
        {
            conversation.Add(new("user", k == 0 ? problem + " " + steps[k] : steps[k]));
            conversation.Add(new("assistant", family.GoodToken));
            var prefix = model.Tokenizer.Encode(template.Render(conversation, addGenerationPrompt: false)); // apply_chat_template(tokenize=True)
            if (!prefix.AsSpan(0, Math.Min(ids.Length, prefix.Length)).SequenceEqual(ids.AsSpan(0, Math.Min(ids.Length, prefix.Length))) || prefix.Length < ids.Length)
            {
                throw new ArgumentException($"the conversation up to step {k + 1} does not tokenize as a prefix of the next one, so one pass cannot score every step");
            }

            var at = Array.LastIndexOf(prefix, good);
            if (at < 1)
            {
                throw new ArgumentException($"the assistant's token '{family.GoodToken}' does not appear in the rendered conversation");
            }

            reads.Add(at - 1);
            ids = prefix;
        }

        return new VerifierInput(ids, [.. reads]);
    }

    /// <summary>Value head (Skywork-o1-Open-PRM): bos + problem + "\n", then each step's ids and the step token's id; read at each step token.</summary>
    private static VerifierInput ValueHead(VerifierFamily family, ModelDirectory model, string problem, string solution, string stepToken)
    {
        var bos = model.SpecialTokenTexts.TryGetValue("bos_token", out var b) && b is string s ? s
            : throw new ArgumentException($"{model.Path}: tokenizer_config.json names no bos_token, which this family writes before the problem");
        var tokenizer = model.Tokenizer;
        var ids = new List<int>(tokenizer.EncodeWithSpecialTokens(bos + problem + "\n"));
        var stepId = tokenizer.EncodeWithSpecialTokens(stepToken)[^1];
        var reads = new List<int>();
        foreach (var step in solution.Split(stepToken).Where(x => x.Length > 0))
        {
            ids.AddRange(tokenizer.EncodeWithSpecialTokens(step));
            ids.Add(stepId);
            reads.Add(ids.Count - 1);
        }

        return new VerifierInput([.. ids], [.. reads]);
    }

    /// <summary>Outcome model: the problem and the whole solution as a user and an assistant turn; one score (read by the graph's pooling).</summary>
    private static VerifierInput Outcome(ModelDirectory model, string problem, string solution)
    {
        var ids = model.Tokenizer.Encode(Template(model).Render([new("user", problem), new("assistant", solution)], addGenerationPrompt: false));
        return new VerifierInput(ids, [ids.Length - 1]);
    }

    private static ChatTemplate Template(ModelDirectory model) =>
        model.ChatTemplate ?? throw new ArgumentException($"{model.Path} has no chat template, which this verifier family renders its input with");

    private static int SingleToken(ModelDirectory model, string text, string setting)
    {
        var ids = model.Tokenizer.Encode(text);
        return ids.Length == 1 ? ids[0] : throw new ArgumentException($"{setting} '{text}' is {ids.Length} tokens in this tokenizer; it must be one");
    }

    private static int[] Positions(int[] ids, int token, int expected, string what)
    {
        var positions = Enumerable.Range(0, ids.Length).Where(i => ids[i] == token).ToArray();
        return positions.Length == expected ? positions
            : throw new ArgumentException($"'{what}' occurs {positions.Length} times in the verifier's input for {expected} steps (the problem or a step contains it?)");
    }
}
