// The data locator: where data goes (--data, then DATASETS_DIR, then the repository's datasets/),
// where missing files come from (--mirror, then DATASETS_MIRROR, then a download), and that a
// failed download is one clean line saying where to put the files by hand.
using System.IO.Compression;
using Activations.Tests.Infrastructure;
using Activations.Training.Data;
using static Activations.Tests.Infrastructure.IdxFiles;

namespace Activations.Tests.Data;

public class DatasetLocatorTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars) =>
        k => vars.FirstOrDefault(v => v.Key == k).Value;

    [Fact]
    public void DataOptionBeatsEnvironmentBeatsRepositoryRoot()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        Assert.Equal(a.Path, new DatasetLocator(a.Path, null, Env(("DATASETS_DIR", b.Path))).DataRoot);
        Assert.Equal(b.Path, new DatasetLocator(null, null, Env(("DATASETS_DIR", b.Path))).DataRoot);
        string? repo = DatasetLocator.FindRepositoryRoot();
        Assert.NotNull(repo); // the tests run from inside the repository
        Assert.True(File.Exists(Path.Combine(repo!, "Activations.sln")));
        Assert.Equal(Path.Combine(repo!, "datasets"), new DatasetLocator(null, null, Env()).DataRoot);
    }

    [Fact]
    public void PerUserDataFolderFollowsXdgDataHome()
    {
        using var a = new TempDir();
        Assert.Equal(Path.Combine(a.Path, "activations"), DatasetLocator.UserDataRoot(Env(("XDG_DATA_HOME", a.Path))));
        // Unset or relative (invalid per the XDG spec): the platform's folder, ~/.local/share on Linux.
        string platform = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "activations");
        Assert.Equal(platform, DatasetLocator.UserDataRoot(Env()));
        Assert.Equal(platform, DatasetLocator.UserDataRoot(Env(("XDG_DATA_HOME", "relative/dir"))));
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("XDG_DATA_HOME") is null && Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home)
            Assert.Equal(Path.Combine(home, ".local", "share", "activations"), DatasetLocator.UserDataRoot(Env()));
    }

    [Fact]
    public void MirrorOptionBeatsEnvironment()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        Assert.Equal(a.Path, new DatasetLocator(null, a.Path, Env(("DATASETS_MIRROR", b.Path))).Mirror);
        Assert.Equal(b.Path, new DatasetLocator(null, null, Env(("DATASETS_MIRROR", b.Path))).Mirror);
        Assert.Null(new DatasetLocator(null, null, Env()).Mirror);
    }

    [Fact]
    public void CopiesMissingFilesFromTheMirrorAndTheyLoad()
    {
        string shared = TestData.RequireMnistMirror();
        using var mirror = new TempDir();
        using var data = new TempDir();
        Directory.CreateDirectory(Path.Combine(mirror.Path, "mnist"));
        foreach (var f in DatasetLocator.IdxFiles)
            File.Copy(Path.Combine(shared, "mnist", f), Path.Combine(mirror.Path, "mnist", f));
        var log = new StringWriter();
        var locator = new DatasetLocator(data.Path, null, Env(("DATASETS_MIRROR", mirror.Path)))
        {
            Log = log,
            HttpHandler = new FailingHandler(), // a download attempt would fail the test
        };
        string folder = locator.EnsureMnist();
        Assert.Equal(Path.Combine(data.Path, "mnist"), folder);
        foreach (var f in DatasetLocator.IdxFiles)
            Assert.Equal(File.ReadAllBytes(Path.Combine(mirror.Path, "mnist", f)), File.ReadAllBytes(Path.Combine(folder, f)));
        Assert.Contains("copied train-images-idx3-ubyte.gz", log.ToString());
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));

        var mnist = MnistDataset.Load(folder, limitTrain: 100, limitTest: 50); // hash-checked on read
        Assert.Equal((100, 50), (mnist.Train.Count, mnist.Test.Count));
        Assert.Equal(100 * 784, mnist.Train.Images.Length);
        Assert.Equal(5, mnist.Train.Labels[0]); // the first MNIST training digit is a 5
        // A second call finds everything in place and copies nothing.
        var log2 = new StringWriter();
        new DatasetLocator(data.Path, mirror.Path, Env()) { Log = log2 }.EnsureMnist();
        Assert.Equal("", log2.ToString());
    }

    [Fact]
    public void FailedDownloadIsOneLineSayingWhereToPutTheFiles()
    {
        using var data = new TempDir();
        using var emptyMirror = new TempDir();
        var locator = new DatasetLocator(data.Path, emptyMirror.Path, Env()) { HttpHandler = new FailingHandler() };
        var e = Assert.Throws<DatasetUnavailableException>(() => locator.EnsureMnist());
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("train-images-idx3-ubyte.gz", e.Message);
        Assert.Contains("ossci-datasets.s3.amazonaws.com", e.Message);
        Assert.Contains("by hand", e.Message);
        Assert.Contains(Path.Combine(data.Path, "mnist"), e.Message);
        Assert.Contains($"mirror {emptyMirror.Path} has no mnist/train-images-idx3-ubyte.gz", e.Message);
        Assert.Empty(Directory.GetFiles(data.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void UnreachableUrlFailsCleanly()
    {
        using var data = new TempDir();
        // Port 9 (discard) on loopback: refused at once, no network needed.
        var locator = new DatasetLocator(data.Path, null, Env()) { DownloadUrls = ["http://127.0.0.1:9/mnist/"] };
        var e = Assert.Throws<DatasetUnavailableException>(() => locator.EnsureFile("mnist", "t10k-labels-idx1-ubyte.gz", null));
        Assert.Contains("http://127.0.0.1:9/mnist/t10k-labels-idx1-ubyte.gz", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void DownloadIsVerifiedThenMovedIntoPlace()
    {
        string shared = TestData.RequireMnistMirror();
        byte[] good = File.ReadAllBytes(Path.Combine(shared, "mnist", "t10k-labels-idx1-ubyte.gz"));
        using var data = new TempDir();
        var log = new StringWriter();
        var ok = new DatasetLocator(data.Path, null, Env())
        {
            HttpHandler = new ServingHandler(good),
            DownloadUrls = ["http://mirror.invalid/a/"],
            Log = log,
        };
        string path = ok.EnsureFile("mnist", "t10k-labels-idx1-ubyte.gz", IdxDatasets.Mnist.CheckFor("t10k-labels-idx1-ubyte.gz"));
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Contains("downloaded t10k-labels-idx1-ubyte.gz", log.ToString());

        // Content with the wrong hash is refused and nothing is left behind.
        using var data2 = new TempDir();
        var wrong = new DatasetLocator(data2.Path, null, Env())
        {
            HttpHandler = new ServingHandler(Gzip([1, 2, 3])),
            DownloadUrls = ["http://mirror.invalid/a/", "http://mirror.invalid/b/"],
        };
        var e = Assert.Throws<DatasetUnavailableException>(() =>
            wrong.EnsureFile("mnist", "t10k-labels-idx1-ubyte.gz", IdxDatasets.Mnist.CheckFor("t10k-labels-idx1-ubyte.gz")));
        Assert.Contains("SHA-256", e.Message);
        Assert.Contains("mirror.invalid/b/", e.Message);
        Assert.Empty(Directory.GetFiles(data2.Path, "*", SearchOption.AllDirectories));
    }
}
