// The named IDX sets and `--dataset idx:DIR`: Fashion-MNIST's committed checksums and normalisation
// against the packaged files (dataset-fashion-mnist), set-up from that package and from a mirror, a
// KMNIST download refused on a wrong .gz MD5, every bad idx: input as one `error:` line with exit 1,
// and a generated 3-class 8×8 set that trains one epoch on the CPU accelerator.
using System.Buffers.Binary;
using System.IO.Compression;
using Activations.Tests.Infrastructure;
using Activations.Training.Data;
using Activations.Training.Run;
using static Activations.Tests.Infrastructure.IdxFiles;

namespace Activations.Tests.Data;

public class IdxDatasetTests : IDisposable
{
    private const string FashionPackage = "/usr/share/datasets/fashion-mnist";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string RequireFashionPackage()
    {
        Skip.IfNot(File.Exists(Path.Combine(FashionPackage, "train-images-idx3-ubyte.gz")),
            $"Fashion-MNIST not installed at {FashionPackage} (apt-get install dataset-fashion-mnist)");
        return FashionPackage;
    }

    [SkippableFact]
    public void FashionMnistFilesMatchTheirChecksumsAndNormalisation()
    {
        string package = RequireFashionPackage();
        var set = IdxDatasets.FashionMnist;
        foreach (var name in IdxDataset.FileNames)
        {
            string path = Path.Combine(package, name + ".gz");
            Assert.NotNull(set.CheckFor(path).ContentSha256);
            Idx.ReadContent(path, set.CheckFor(path)); // throws on a mismatch
        }
        // The same files under MNIST's names fail MNIST's checks, as they should.
        string images = Path.Combine(package, IdxDataset.TrainImages + ".gz");
        Assert.Contains("SHA-256", Assert.Throws<DataFormatException>(() => Idx.ReadContent(images, IdxDatasets.Mnist.CheckFor(images))).Message);
        var (mean, std) = MnistDataset.Statistics(Idx.ReadImages(images, set.CheckFor(images)).Pixels, images);
        Assert.Equal(set.Mean!.Value, mean, 4);
        Assert.Equal(set.Std!.Value, std, 4);
    }

    [SkippableFact]
    public void FashionMnistIsSetUpFromThePackageOrAMirrorAndLoads()
    {
        string package = RequireFashionPackage();
        // The package folder as --mirror: its files sit at its root.
        var log = new StringWriter();
        var locator = new DatasetLocator(_dir.File("data"), package, _ => null) { Log = log, HttpHandler = new FailingHandler() };
        string folder = locator.EnsureIdx(IdxDatasets.FashionMnist);
        Assert.Equal(Path.Combine(_dir.File("data"), "fashion-mnist"), folder);
        Assert.Contains("copied train-images-idx3-ubyte.gz", log.ToString());
        var data = MnistDataset.Load(folder, IdxDatasets.FashionMnist, 200, 100);
        Assert.Equal((200, 100, 10), (data.Train.Count, data.Test.Count, data.Train.Classes));
        Assert.Equal("Ankle boot", data.ClassNames[9]);
        Assert.Equal(9, data.Train.Labels[0]); // Fashion-MNIST's first training image is an ankle boot

        // Without a mirror, the system folder is used.
        var fromSystem = new DatasetLocator(_dir.File("data2"), null, _ => null) { SystemFolders = true, HttpHandler = new FailingHandler() };
        Assert.True(File.Exists(Path.Combine(fromSystem.EnsureIdx(IdxDatasets.FashionMnist), "t10k-labels-idx1-ubyte.gz")));
    }

    [Fact]
    public void KmnistDownloadWithTheWrongMd5IsRefused()
    {
        var locator = new DatasetLocator(_dir.File("data"), null, _ => null) { HttpHandler = new ServingHandler(Gzip(Labels(1, 2))) };
        var e = Assert.Throws<DatasetUnavailableException>(() => locator.EnsureIdx(IdxDatasets.Kmnist));
        Assert.Contains("codh.rois.ac.jp/kmnist/dataset/kmnist/train-images-idx3-ubyte.gz", e.Message);
        Assert.Contains("MD5", e.Message);
        Assert.Contains(Path.Combine(_dir.File("data"), "kmnist"), e.Message);
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.gz", SearchOption.AllDirectories));
    }

    [Fact]
    public void DescriptorsAreComplete()
    {
        foreach (var set in IdxDatasets.All)
        {
            Assert.Equal(10, set.ClassNames.Count);
            Assert.NotEmpty(set.Urls);
            foreach (var name in IdxDataset.FileNames) Assert.False(set.CheckFor(name + ".gz").IsNone, $"{set.Name}/{name}");
            Assert.Equal(set.Name, DatasetSource.Normalise(set.Name.ToUpperInvariant()));
            Assert.Null(DatasetSource.Problem(set.Name));
        }
    }

    // ---- idx:DIR ----




    /// <summary>
    /// A learnable 3-class set of 8×8 images: class c is bright in rows 3c..3c+1, dim elsewhere, with
    /// seeded noise; train gz, test raw (both layouts in one folder).
    /// </summary>
    private string WriteSet(string name, int train = 300, int test = 60, int side = 8)
    {
        string dir = _dir.File(name);
        Directory.CreateDirectory(dir);
        var rng = new Random(7);
        (byte[] Images, byte[] Labels) Make(int n)
        {
            var labels = Enumerable.Range(0, n).Select(i => (byte)(i % 3)).ToArray();
            var images = Images(n, side, side, (i, p) => (byte)((p / side) / 3 == labels[i] ? 200 + rng.Next(56) : rng.Next(60)));
            return (images, Labels(labels));
        }
        var (ti, tl) = Make(train);
        var (si, sl) = Make(test);
        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte.gz"), Gzip(ti));
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte.gz"), Gzip(tl));
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), si);
        File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), sl);
        return dir;
    }

    [Fact]
    public void IdxFolderTakesClassesShapeAndNormalisationFromTheFiles()
    {
        string dir = WriteSet("set");
        var data = MnistDataset.Load(dir, null);
        Assert.Equal(["0", "1", "2"], data.ClassNames);
        Assert.Equal((1, 8, 8, 3), (data.Train.Channels, data.Train.Height, data.Train.Width, data.Train.Classes));
        Assert.Equal((300, 60), (data.Train.Count, data.Test.Count));
        // Normalised by the training images' own statistics: mean 0, standard deviation 1.
        double mean = data.Train.Images.Average(v => (double)v);
        double sd = Math.Sqrt(data.Train.Images.Average(v => (v - mean) * (v - mean)));
        Assert.Equal(0, mean, 4);
        Assert.Equal(1, sd, 3);
    }

    private void CliFails(string dir, string expectedFile, string expected, int code = 1) =>
        AppCli.FailsWithOneErrorLine(code, ["train", "--dataset", "idx:" + dir, "--device", "cpu", "--epochs", "1", "--out", _dir.File("runs")], expectedFile, expected);

    [Fact]
    public void BadIdxFoldersAreOneLineErrors()
    {
        CliFails(_dir.File("nowhere"), "nowhere", "no such folder");

        string magic = WriteSet("magic");
        File.WriteAllBytes(Path.Combine(magic, "t10k-images-idx3-ubyte"), Images(60, 8, 8, (_, _) => 1, magic: 0x00000804));
        CliFails(magic, "t10k-images-idx3-ubyte", "magic number 0x00000804");

        string truncated = WriteSet("truncated");
        File.WriteAllBytes(Path.Combine(truncated, "t10k-images-idx3-ubyte"), Images(60, 8, 8, (_, _) => 1)[..^5]);
        CliFails(truncated, "t10k-images-idx3-ubyte", "truncated");

        string count = WriteSet("count");
        File.WriteAllBytes(Path.Combine(count, "t10k-labels-idx1-ubyte"), Labels(Enumerable.Repeat((byte)1, 59).ToArray()));
        CliFails(count, "t10k-labels-idx1-ubyte", "59 labels");

        string range = WriteSet("range");
        File.WriteAllBytes(Path.Combine(range, "t10k-labels-idx1-ubyte"), Labels(Enumerable.Range(0, 60).Select(i => (byte)(i == 5 ? 3 : i % 3)).ToArray()));
        CliFails(range, "t10k-labels-idx1-ubyte", "label 5 is 3, outside 0..2");

        string size = WriteSet("size");
        File.WriteAllBytes(Path.Combine(size, "t10k-images-idx3-ubyte"), Images(60, 9, 8, (_, p) => (byte)p));
        CliFails(size, "t10k-images-idx3-ubyte", "9×8");

        string missing = WriteSet("missing");
        File.Delete(Path.Combine(missing, "train-labels-idx1-ubyte.gz"));
        CliFails(missing, "train-labels-idx1-ubyte", "not found");
    }

    [Fact]
    public void UsageErrorsOfTheDatasetOption()
    {
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["--dataset", "emnist"], "unknown data set 'emnist'"),
            (["--dataset", "idx:"], "needs a folder"),
            (["--dataset", "mnist", "--image-size", "16"], "--image-size applies to folder: data sets only"),
            (["--dataset", "folder:" + _dir.Path, "--image-size", "0"], "--image-size"),
        })
        {
            var r = AppCli.Run(["train", .. args, "--device", "cpu", "--out", _dir.File("runs")]);
            Assert.Equal(2, r.Code);
            Assert.StartsWith("error: ", r.Err);
            Assert.Contains(expected, r.Err);
        }
        // A model the images are too small for is refused plainly, after the data is read.
        var lenet = AppCli.Run("train", "--dataset", "idx:" + WriteSet("small"), "--model", "lenet", "--device", "cpu", "--out", _dir.File("runs"));
        Assert.Equal(2, lenet.Code);
        Assert.Contains("--model lenet needs images of at least 16×16", lenet.Err);
        Assert.Contains("8×8", lenet.Err);
    }

    [SkippableFact]
    public void IdxSetOf3Classes8x8TrainsOneEpochOnTheCpu()
    {
        TestDevices.Get("cpu");
        string dir = WriteSet("train");
        string runs = _dir.File("runs");
        var r = AppCli.Run("train", "--dataset", "idx:" + dir, "--device", "cpu", "--epochs", "1", "--batch", "16", "--lr", "0.05",
            "--out", runs);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("300 train / 60 test images", r.Out);
        string run = Assert.Single(Directory.GetDirectories(runs));
        var metrics = TestData.Metrics(run);
        var m = Assert.Single(metrics);
        Assert.True(m.TestAccuracy > 0.9, $"test accuracy {m.TestAccuracy:P1} on a separable 3-class set");
        string config = File.ReadAllText(Path.Combine(run, RunFolder.ConfigFile));
        Assert.Contains("idx:" + dir, config);
        // `predictions` reloads the set named in the checkpoint and gets the run's own accuracy.
        var p = AppCli.Run("predictions", "--checkpoint", Path.Combine(run, RunFolder.CheckpointFile), "--device", "cpu", "--count", "6");
        Assert.True(p.Code == 0, p.Err);
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"on 60 idx:{dir} test images: {Math.Round(m.TestAccuracy * 60)} correct"), p.Out);
    }
}
