// The README is for users: short, and every relative link in it and in docs/ resolves.
using System.Text.RegularExpressions;

namespace Activations.Tests.Docs;

public class DocumentationTests
{
    internal static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Activations.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    public static TheoryData<string> MarkdownFiles()
    {
        var root = Root();
        var data = new TheoryData<string> { "README.md" };
        foreach (var f in Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories))
            data.Add(Path.GetRelativePath(root, f));
        return data;
    }

    [Fact]
    public void ReadmeIsAtMost250Lines()
    {
        int lines = File.ReadAllLines(Path.Combine(Root(), "README.md")).Length;
        Assert.True(lines <= 250, $"README.md has {lines} lines; move detail under docs/");
    }

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void RelativeLinksResolve(string file)
    {
        var root = Root();
        var path = Path.Combine(root, file);
        var text = File.ReadAllText(path);
        var broken = new List<string>();
        foreach (Match m in Regex.Matches(text, @"\]\(([^)\s]+)\)"))
        {
            var target = m.Groups[1].Value;
            if (target.Contains("://") || target.StartsWith("mailto:")) continue;
            var hash = target.IndexOf('#');
            var filepart = hash >= 0 ? target[..hash] : target;
            var anchor = hash >= 0 ? target[(hash + 1)..] : null;
            var resolved = filepart.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, Unescape(filepart)));
            if (!File.Exists(resolved) && !Directory.Exists(resolved)) { broken.Add(target); continue; }
            if (anchor != null && resolved.EndsWith(".md") && !Anchors(File.ReadAllText(resolved)).Contains(anchor))
                broken.Add(target);
        }
        Assert.True(broken.Count == 0, $"{file}: broken links: {string.Join(", ", broken)}");

        static string Unescape(string p) => Uri.UnescapeDataString(p);
    }

    // GitHub's anchor rule: lower-case, drop punctuation except '-' and '_', spaces to '-'.
    static HashSet<string> Anchors(string markdown)
    {
        var set = new HashSet<string>();
        foreach (var line in markdown.Split('\n'))
        {
            var m = Regex.Match(line, @"^#{1,6}\s+(.*?)\s*$");
            if (!m.Success) continue;
            var slug = Regex.Replace(m.Groups[1].Value.ToLowerInvariant(), @"[^\p{L}\p{N}\s_-]", "").Replace(' ', '-');
            set.Add(slug);
        }
        return set;
    }
}
