using System.Globalization;

namespace Platform.Reasoning.Planning;

/// <summary>
/// Settings written as one string of comma-separated <c>key=value</c> pairs ("rule=beta,wave=4"), as plans,
/// the API and <c>--early-stop</c> / <c>--confidence</c> carry them: "on" (or nothing) keeps every default,
/// an unknown key or a value that is not a number is an error naming it and the keys known.
/// </summary>
public static class SettingSpec
{
    /// <summary>The pairs of <paramref name="spec"/> in order; <paramref name="what"/> names the setting in errors.</summary>
    public static IEnumerable<(string Key, string Value)> Pairs(string? spec, string what, IReadOnlyList<string> keys)
    {
        foreach (var part in (spec ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part == "on")
            {
                continue;
            }

            var eq = part.IndexOf('=');
            var key = eq < 0 ? part : part[..eq].Trim();
            if (!keys.Contains(key))
            {
                throw new FormatException($"{what}: unknown key '{key}' (known: {string.Join(", ", keys)})");
            }

            yield return (key, eq < 0 ? "" : part[(eq + 1)..].Trim());
        }
    }

    /// <summary>A pair's value as a number (an integer when <paramref name="integer"/>).</summary>
    public static double Number(string what, string key, string value, bool integer)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || (integer && (d != Math.Floor(d) || Math.Abs(d) > int.MaxValue)))
        {
            throw new FormatException($"{what}: {key} must be {(integer ? "an integer" : "a number")} (was '{value}')");
        }

        return d;
    }
}
