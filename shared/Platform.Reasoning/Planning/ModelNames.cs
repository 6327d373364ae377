namespace Platform.Reasoning.Planning;

/// <summary>
/// What a model name is: a catalog name (1–128 of letters, digits, '-', '_', '.', no ".."), never a
/// path. The one home of the rule: the model catalog loads only such names, and the Router refuses a
/// batch that names anything else before it is accepted.
/// </summary>
public static class ModelNames
{
    public const int MaxLength = 128;

    /// <summary>Why <paramref name="name"/> is not a model name, or null when it is one.</summary>
    public static string? Problem(string name)
    {
        if (name.Length is 0 or > MaxLength)
        {
            return $"a model name has 1 to {MaxLength} characters (was {name.Length})";
        }

        if (name.Contains("..", StringComparison.Ordinal) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            return "a model name is a catalog name of letters, digits, '-', '_' and '.', not a path";
        }

        return null;
    }
}
