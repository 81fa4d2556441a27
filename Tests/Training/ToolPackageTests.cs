// The app as a .NET tool: `dotnet pack` of Training makes Activations.Tool, which installs from the
// package folder (here with --tool-path into a temporary folder and a NuGet config naming only that
// folder) and runs: `activations --version` prints the version and the commit, and a short training
// run started outside any repository keeps its data in the per-user data folder ($XDG_DATA_HOME).
using System.IO.Compression;
using Activations.Tests.Infrastructure;
using Activations.Training.Data;

namespace Activations.Tests.Training;

public class ToolPackageTests
{
    [SkippableFact]
    public void PackedToolInstallsAndRunsWithPerUserData()
    {
        string? repo = DatasetLocator.FindRepositoryRoot();
        Skip.If(repo is null, "not run from a checkout of the repository");
        using var temp = new TempDir();
        string packages = temp.File("packages"), tools = temp.File("tools"), xdg = temp.File("xdg"), work = temp.File("work");
        Directory.CreateDirectory(work);

        // The test build has built Training in Release already; pack it as it is.
        var pack = ExternalProcess.Run("dotnet", repo!, null, "pack", Path.Combine(repo!, "Training", "Training.csproj"), "-c", "Release", "--no-build", "--nologo", "-o", packages);
        Assert.True(pack.Code == 0, pack.Out);
        string nupkg = Assert.Single(Directory.GetFiles(packages, "Activations.Tool.*.nupkg"));
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            var natives = zip.Entries.Where(e => e.FullName.Contains("/runtimes/")).Select(e => e.FullName.Split('/')[4]).Distinct().Order().ToArray();
            Assert.Equal(["linux-arm64", "linux-x64", "osx", "win-arm64", "win-x64"], natives);
        }

        File.WriteAllText(temp.File("nuget.config"),
            $"<configuration><packageSources><clear /><add key=\"local\" value=\"{packages}\" /></packageSources></configuration>");
        var install = ExternalProcess.Run("dotnet", work, null, "tool", "install", "Activations.Tool", "--tool-path", tools, "--configfile", temp.File("nuget.config"));
        Assert.True(install.Code == 0, install.Out);
        string exe = Path.Combine(tools, OperatingSystem.IsWindows() ? "activations.exe" : "activations");

        var version = ExternalProcess.Run(exe, work, null, "--version");
        Assert.True(version.Code == 0, version.Out);
        Assert.Matches(@"^activations \d+\.\d+\.\d+ \(commit [0-9a-f]{40}\)", version.Out);

        string mirror = TestData.RequireMnistMirror();
        var env = new Dictionary<string, string> { ["XDG_DATA_HOME"] = xdg, ["DATASETS_DIR"] = "", ["DATASETS_MIRROR"] = mirror };
        var train = ExternalProcess.Run(exe, work, env, "train", "--epochs", "1", "--limit-train", "256", "--limit-test", "256", "--device", "cpu", "--out", Path.Combine(work, "runs"));
        Assert.True(train.Code == 0, train.Out);
        Assert.Contains("total: 109,386 parameters", train.Out);
        Assert.True(File.Exists(Path.Combine(xdg, "activations", "mnist", "train-images-idx3-ubyte.gz")), train.Out);
        Assert.False(Directory.Exists(Path.Combine(work, "datasets")));
    }
}
