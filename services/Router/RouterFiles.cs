namespace Platform.Router;

/// <summary>Files the Router ships with (the fitted policy, the calibration set), found from the program's folder or the working directory upwards.</summary>
public static class RouterFiles
{
    /// <summary>The first <paramref name="relative"/> (e.g. <c>models/policy.json</c>) that exists in the program's folder, the working directory or one of their ancestors; null when none does.</summary>
    public static string? Find(string relative) =>
        Path.IsPathRooted(relative) ? (File.Exists(relative) ? relative : null)
        : new[] { AppContext.BaseDirectory, Environment.CurrentDirectory }
            .SelectMany(start => Ancestors(new DirectoryInfo(start)))
            .Select(dir => Path.Combine(dir.FullName, relative))
            .FirstOrDefault(File.Exists);

    private static IEnumerable<DirectoryInfo> Ancestors(DirectoryInfo? dir)
    {
        for (; dir is not null; dir = dir.Parent)
        {
            yield return dir;
        }
    }
}
