namespace Activations.Training.Cli;

/// <summary>Command lines written so that they can be pasted back into a POSIX shell.</summary>
public static class ShellQuote
{
    /// <summary><paramref name="s"/> as one shell word: unchanged when safe, else in single quotes.</summary>
    public static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    public static string Join(IEnumerable<string> args) => string.Join(" ", args.Select(Quote));

    /// <summary>The command line of this process.</summary>
    public static string CurrentCommandLine() => Join(Environment.GetCommandLineArgs());
}
