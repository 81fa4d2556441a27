// The IDX data sets the app knows by name, one descriptor each: adding a set means adding one entry
// here. Each descriptor holds everything that differs between MNIST-layout sets: the folder under the
// data directory, the SHA-256 of each file's decompressed content (or, where only the publisher's MD5
// of the .gz is known, that), the normalisation constants, the class names, the image shape, the
// download URLs and a system folder that may hold a packaged copy.
//
// Content hashes of Fashion-MNIST were computed from Debian's dataset-fashion-mnist package (whose .gz
// files differ byte for byte from Zalando's but decompress to the same content). KMNIST publishes no
// content hash: its .gz MD5s are the ones torchvision (datasets/mnist.py, class KMNIST) checks.
// Normalisation constants are the mean and standard deviation of the training images' pixels / 255
// (Tests/Data/IdxDatasetTests recomputes Fashion-MNIST's); null ones are computed from the training images at load.
namespace Activations.Training.Data;

/// <summary>How one file of a data set is checked: its decompressed content's SHA-256, else its .gz file's MD5.</summary>
public sealed record FileCheck(string? ContentSha256 = null, string? GzipMd5 = null)
{
    public static FileCheck None { get; } = new();
    public bool IsNone => ContentSha256 is null && GzipMd5 is null;
}

/// <summary>A named MNIST-layout data set.</summary>
public sealed record IdxDataset(
    string Name,
    string Folder,
    IReadOnlyDictionary<string, FileCheck> Files,
    float? Mean,
    float? Std,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<string> Urls,
    string? SystemFolder = null)
{
    public const string TrainImages = "train-images-idx3-ubyte", TrainLabels = "train-labels-idx1-ubyte",
        TestImages = "t10k-images-idx3-ubyte", TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>The four standard file names, without ".gz".</summary>
    public static IReadOnlyList<string> FileNames { get; } = [TrainImages, TrainLabels, TestImages, TestLabels];

    public (int C, int H, int W) Shape => (1, 28, 28);

    /// <summary>The check of a file such as "train-images-idx3-ubyte.gz" (or its uncompressed name).</summary>
    public FileCheck CheckFor(string path)
    {
        string name = Path.GetFileName(path);
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) name = name[..^3];
        return Files.TryGetValue(name, out var c) ? c : FileCheck.None;
    }
}

public static class IdxDatasets
{
    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    public static IdxDataset Mnist { get; } = new(
        "mnist", "mnist",
        new Dictionary<string, FileCheck>
        {
            [IdxDataset.TrainImages] = new("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
            [IdxDataset.TrainLabels] = new("65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
            [IdxDataset.TestImages] = new("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
            [IdxDataset.TestLabels] = new("ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
        },
        0.1307f, 0.3081f, Digits,
        // The official mirrors, in the order torchvision tries them.
        ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]);

    public static IdxDataset FashionMnist { get; } = new(
        "fashion-mnist", "fashion-mnist",
        new Dictionary<string, FileCheck>
        {
            [IdxDataset.TrainImages] = new("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            [IdxDataset.TrainLabels] = new("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            [IdxDataset.TestImages] = new("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            [IdxDataset.TestLabels] = new("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        },
        0.2860f, 0.3530f,
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        SystemFolder: "/usr/share/datasets/fashion-mnist");

    public static IdxDataset Kmnist { get; } = new(
        "kmnist", "kmnist",
        new Dictionary<string, FileCheck>
        {
            [IdxDataset.TrainImages] = new(GzipMd5: "bdb82020997e1d708af4cf47b453dcf7"),
            [IdxDataset.TrainLabels] = new(GzipMd5: "e144d726b3acfaa3e44228e80efcd344"),
            [IdxDataset.TestImages] = new(GzipMd5: "5c965bf0a639b31b8f53240b1b52f4d7"),
            [IdxDataset.TestLabels] = new(GzipMd5: "7320c461ea6c1c855c0b718fb2a4b134"),
        },
        // Not measured here (KMNIST could not be downloaded on this machine): computed from the training images at load.
        null, null,
        ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
        ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]);

    public static IReadOnlyList<IdxDataset> All { get; } = [Mnist, FashionMnist, Kmnist];

    public static IdxDataset? Find(string name) => All.FirstOrDefault(d => d.Name == name);
}
