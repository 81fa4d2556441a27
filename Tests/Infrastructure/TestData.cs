// Where tests find the real MNIST files and make throw-away folders.
// The mirror is $DATASETS_MIRROR, else shared/datasets beside the repository (../shared/datasets
// from the repository root) or beside any folder above the test binaries.
using System.Text.Json;
using Activations.Training.Checkpoints;
using Activations.Training.Data;
using Activations.Training.Run;

namespace Activations.Tests.Infrastructure;

public static class TestData
{
    /// <summary>A folder holding mnist/&lt;the four .gz files&gt;, or null.</summary>
    public static string? MnistMirror()
    {
        var candidates = new List<string>();
        var env = Environment.GetEnvironmentVariable("DATASETS_MIRROR");
        if (!string.IsNullOrWhiteSpace(env)) candidates.Add(Path.GetFullPath(env));
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            candidates.Add(Path.Combine(dir.FullName, "shared", "datasets"));
        return candidates.FirstOrDefault(c => File.Exists(Path.Combine(c, "mnist", "train-images-idx3-ubyte.gz")));
    }

    /// <summary>The mirror, or a skip saying why there is none.</summary>
    public static string RequireMnistMirror()
    {
        var m = MnistMirror();
        Skip.If(m is null, "MNIST not found: set DATASETS_MIRROR to a folder holding mnist/*.gz (CI: ../shared/datasets)");
        return m!;
    }

    /// <summary>The options that make a command copy MNIST from the mirror into <paramref name="dir"/>/data, or a skip when there is no mirror.</summary>
    public static string[] MnistFromMirror(TempDir dir) => ["--mirror", RequireMnistMirror(), "--data", dir.File("data")];

    /// <summary>The first images of the mirror's MNIST, or a skip when there is no mirror.</summary>
    public static MnistDataset Mnist(int limitTrain, int limitTest) => MnistDataset.Load(Path.Combine(RequireMnistMirror(), "mnist"), limitTrain, limitTest);

    /// <summary>The epochs of a run folder's metrics.json, as the trainer wrote them.</summary>
    public static List<EpochMetrics> Metrics(string runFolder) =>
        JsonSerializer.Deserialize<List<EpochMetrics>>(File.ReadAllText(Path.Combine(runFolder, RunFolder.MetricsJson)), RunJson.Options)!;

    /// <summary>Rewrites tensor <paramref name="name"/> of a safetensors file with <paramref name="change"/> applied to each value (the rest and the metadata kept).</summary>
    public static void RewriteTensor(string path, string name, Func<float, float> change)
    {
        var content = SafeTensors.Read(path);
        SafeTensors.Write(path, content.Order.Select(n => (n, content.Tensors[n].Shape,
            n == name ? Array.ConvertAll(content.Tensors[n].Data, v => change(v)) : content.Tensors[n].Data)), content.Metadata);
    }
}

/// <summary>A test class whose tests each get a fresh temporary folder (xunit makes one instance per test), deleted after the test.</summary>
public abstract class WithTempDir : IDisposable
{
    protected TempDir Dir { get; } = new();

    public void Dispose()
    {
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "activations-test-" + Guid.NewGuid().ToString("N"));

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
