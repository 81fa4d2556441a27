// docs/own-activation.md stays true: every `activations …` line of its ```bash blocks is run in
// process (file paths taken from the repository root, --out into a temporary folder, the MNIST
// mirror as --data), must exit 0, and the ```text block is what `check` printed.
using System.Text.RegularExpressions;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Training;

public partial class OwnActivationTutorialTests
{
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Activations.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("no Activations.sln above the test binaries");
    }

    [GeneratedRegex("```(bash|text)\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex Block();

    [SkippableFact]
    public void EveryCommandOfTheTutorialRuns()
    {
        string mirror = TestData.RequireMnistMirror();
        string root = RepositoryRoot();
        string doc = File.ReadAllText(Path.Combine(root, "docs", "own-activation.md"));
        var blocks = Block().Matches(doc).Select(m => (Kind: m.Groups[1].Value, Text: m.Groups[2].Value)).ToList();
        var commands = blocks.Where(b => b.Kind == "bash").SelectMany(b => b.Text.Split('\n'))
            .Where(l => l.StartsWith("activations ", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, commands.Count); // check, plot, train, compare
        using var tmp = new TempDir();
        string checkOutput = "";
        foreach (string line in commands)
        {
            var args = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
            for (int i = 0; i < args.Count; i++)
            {
                if (args[i] == "--out") args[i + 1] = tmp.File(args[i + 1]);
                else args[i] = string.Join(",", args[i].Split(',').Select(e => e.StartsWith("docs/", StringComparison.Ordinal) ? Path.Combine(root, e) : e));
            }
            if (args[0] is "train" or "compare") args.AddRange(["--data", mirror]);
            var r = AppCli.Run([.. args]);
            Assert.True(r.Code == 0, $"{line}\n{r.Out}\n{r.Err}");
            if (args[0] == "check") checkOutput = r.Out;
        }
        var expected = blocks.Single(b => b.Kind == "text").Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (string l in expected) Assert.Contains(l.TrimEnd(), checkOutput);
    }
}
