// `--dataset folder:DIR` on small generated PNG trees: class names from sorted folders, the size
// rule (own size when all equal, 32 for mixed sizes, --image-size N), greyscale → 1 channel and
// colour → 3, normalisation from the training images, every bad layout or file as one `error:` line
// naming it, and a 3-class 8×8 set that trains one epoch on the CPU accelerator.
using Activations.Tests.Infrastructure;
using Activations.Training.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Activations.Tests.Data;

public class ImageFolderDatasetTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly string[] Classes = ["circle", "cross", "square"];

    /// <summary>
    /// A learnable tree: class k's images are bright in a different third of the rows; colour images
    /// put the signal in the red channel, greyscale ones in all three.
    /// </summary>
    private string WriteTree(string name, int perClassTrain = 40, int perClassTest = 8, int side = 8, bool colour = false, Func<int, int>? sideOf = null)
    {
        string root = _dir.File(name);
        var rng = new Random(3);
        int index = 0;
        foreach (var (split, count) in new[] { ("train", perClassTrain), ("test", perClassTest) })
        {
            for (int k = 0; k < Classes.Length; k++)
            {
                string dir = Path.Combine(root, split, Classes[k]);
                Directory.CreateDirectory(dir);
                for (int i = 0; i < count; i++)
                {
                    int s = sideOf?.Invoke(index++) ?? side;
                    using var image = new Image<Rgb24>(s, s);
                    for (int y = 0; y < s; y++)
                        for (int x = 0; x < s; x++)
                        {
                            byte v = (byte)(y * 3 / s == k ? 200 + rng.Next(56) : rng.Next(60));
                            image[x, y] = colour ? new Rgb24(v, (byte)rng.Next(256), 30) : new Rgb24(v, v, v);
                        }
                    image.SaveAsPng(Path.Combine(dir, $"{i:D3}.png"));
                }
            }
        }
        return root;
    }

    [Fact]
    public void GreyscaleTreeLoadsWithSortedClassesOneChannelAndItsOwnSize()
    {
        var data = ImageFolderDataset.Load(WriteTree("grey"));
        Assert.Equal(Classes, data.ClassNames);
        Assert.Equal((1, 8, 8, 3), (data.Train.Channels, data.Train.Height, data.Train.Width, data.Train.Classes));
        Assert.Equal((120, 24), (data.Train.Count, data.Test.Count));
        Assert.Equal(new byte[] { 0, 0 }, data.Train.Labels[..2]);
        double mean = data.Train.Images.Average(v => (double)v);
        Assert.Equal(0, mean, 4);
    }

    [Fact]
    public void ColourMixedSizesAndImageSize()
    {
        string colour = WriteTree("colour", colour: true);
        var rgb = ImageFolderDataset.Load(colour);
        Assert.Equal((3, 8, 8), (rgb.Train.Channels, rgb.Train.Height, rgb.Train.Width));
        // Normalised per channel: each channel of the training images has mean 0.
        int plane = 64;
        for (int c = 0; c < 3; c++)
        {
            double sum = 0;
            for (int i = 0; i < rgb.Train.Count; i++) sum += rgb.Train.Images.AsSpan((i * 3 + c) * plane, plane).ToArray().Sum(v => (double)v);
            Assert.Equal(0, sum / (rgb.Train.Count * plane), 4);
        }
        var sized = ImageFolderDataset.Load(colour, imageSize: 12, limitTrain: 30, limitTest: 6);
        Assert.Equal((3, 12, 12, 30, 6), (sized.Train.Channels, sized.Train.Height, sized.Train.Width, sized.Train.Count, sized.Test.Count));
        Assert.Equal(10, sized.Train.Labels.Count(l => l == 2)); // a limit keeps N/K of each class

        var mixed = ImageFolderDataset.Load(WriteTree("mixed", perClassTrain: 3, perClassTest: 1, sideOf: i => i % 2 == 0 ? 8 : 10));
        Assert.Equal((ImageFolderDataset.DefaultSide, ImageFolderDataset.DefaultSide), (mixed.Train.Height, mixed.Train.Width));
    }

    private void CliFails(string root, string expectedName, string expected) =>
        AppCli.FailsWithOneErrorLine(1, ["train", "--dataset", "folder:" + root, "--device", "cpu", "--epochs", "1", "--out", _dir.File("runs")], expectedName, expected);

    [Fact]
    public void BadTreesAreOneLineErrors()
    {
        string flat = _dir.File("flat");
        Directory.CreateDirectory(Path.Combine(flat, "cats"));
        CliFails(flat, flat, "DIR/train/<class>/*.png|jpg and DIR/test/<class>/*.png|jpg");

        string noClasses = _dir.File("noclasses");
        Directory.CreateDirectory(Path.Combine(noClasses, "train"));
        Directory.CreateDirectory(Path.Combine(noClasses, "test"));
        CliFails(noClasses, Path.Combine(noClasses, "train"), "no class folders");

        string empty = WriteTree("empty", perClassTrain: 2, perClassTest: 1);
        foreach (var f in Directory.GetFiles(Path.Combine(empty, "train", "cross"))) File.Delete(f);
        CliFails(empty, Path.Combine(empty, "train", "cross"), "no .png or .jpg images");

        string bad = WriteTree("bad", perClassTrain: 2, perClassTest: 1);
        string badFile = Path.Combine(bad, "test", "square", "000.png");
        File.WriteAllBytes(badFile, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        CliFails(bad, badFile, "image");

        string differ = WriteTree("differ", perClassTrain: 2, perClassTest: 1);
        Directory.Move(Path.Combine(differ, "test", "square"), Path.Combine(differ, "test", "triangle"));
        CliFails(differ, Path.Combine(differ, "test"), "missing: square; not in train/: triangle");
    }

    [SkippableFact]
    public void TreeOf3Classes8x8TrainsOneEpochOnTheCpu()
    {
        TestDevices.Get("cpu");
        string root = WriteTree("train", perClassTrain: 100, perClassTest: 20);
        string runs = _dir.File("runs");
        var r = AppCli.Run("train", "--dataset", "folder:" + root, "--model", "cnn", "--device", "cpu", "--epochs", "1", "--batch", "16",
            "--lr", "0.05", "--out", runs);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("300 train / 60 test images", r.Out);
        string run = Assert.Single(Directory.GetDirectories(runs));
        var m = Assert.Single(TestData.Metrics(run));
        Assert.True(m.TestAccuracy > 0.9, $"test accuracy {m.TestAccuracy:P1} on a separable 3-class set");
    }
}
