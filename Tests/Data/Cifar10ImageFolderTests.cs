// Cifar10ImageFolder and ImageGuard on a few tiny PNG/JPEG trees written here with ImageSharp: PNG is
// lossless, so decoded planes must match the pattern exactly, from a folder and from a .tar.gz alike.
// Wrong sizes, corrupt files, oversized headers and unknown class folders are refused with the file
// named; the decode cache round-trips and is rebuilt when damaged.
using Activations.Training.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Data;

public sealed class Cifar10ImageFolderTests : WithTempDir
{
    // Pixel (x, y) of pattern k, distinct per channel.
    static Rgb24 Pattern(int k, int x, int y) => new((byte)(k * 10 + x), (byte)((k * 5 + y * 7) % 256), (byte)((x * y + k) % 256));

    public static byte[] Encode(int width, int height, Func<int, int, Rgb24> pixel, bool jpeg = false)
    {
        using var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = pixel(x, y);
        var ms = new MemoryStream();
        if (jpeg) image.SaveAsJpeg(ms);
        else image.SaveAsPng(ms);
        return ms.ToArray();
    }

    static byte[] Png(int k, int width = 32, int height = 32) => Encode(width, height, (x, y) => Pattern(k, x, y));

    // (relative path, bytes); expected order after loading: train airplane/0, airplane/1, cat/0; test airplane/5, truck/0.
    static List<(string Path, byte[] Data)> Tree() =>
    [
        ("train/cat/0.png", Png(2)),
        ("train/airplane/1.png", Png(1)),
        ("train/airplane/0.png", Png(0)),
        ("train/cat/notes.txt", [1, 2, 3]),
        ("test/truck/0.png", Png(3)),
        ("test/airplane/5.png", Png(4)),
    ];

    string WriteFolder(IEnumerable<(string Path, byte[] Data)> files, string name = "tree")
    {
        string root = Path.Combine(Dir.Path, name);
        foreach (var (path, data) in files)
        {
            string full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, data);
        }
        return root;
    }

    string WriteArchive(IEnumerable<(string Path, byte[] Data)> files, string name = "tree.tar.gz")
    {
        string path = Path.Combine(Dir.Path, name);
        File.WriteAllBytes(path, TarArchiveTests.MakeTar(files.Select(f => ("cifar10/" + f.Path, (byte[]?)f.Data)), gzip: true));
        return path;
    }

    static void CheckTree(Cifar10Split train, Cifar10Split test)
    {
        Assert.Equal([0, 0, 3], train.Labels.Select(l => (int)l));
        Assert.Equal([0, 9], test.Labels.Select(l => (int)l));
        int[] trainPatterns = [0, 1, 2], testPatterns = [4, 3];
        for (int i = 0; i < 3; i++) CheckPattern(train.Image(i), trainPatterns[i]);
        for (int i = 0; i < 2; i++) CheckPattern(test.Image(i), testPatterns[i]);
    }

    static void CheckPattern(ReadOnlySpan<byte> image, int k)
    {
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
            {
                var p = Pattern(k, x, y);
                Assert.Equal(p.R, image[y * 32 + x]);
                Assert.Equal(p.G, image[1024 + y * 32 + x]);
                Assert.Equal(p.B, image[2048 + y * 32 + x]);
            }
    }

    [Fact]
    public void ReadsFolderExactly()
    {
        string root = WriteFolder(Tree());
        Assert.True(Cifar10ImageFolder.IsImageTree(root));
        var (train, test) = Cifar10ImageFolder.Load(root);
        CheckTree(train, test);
    }

    [Fact]
    public void ReadsArchiveExactly()
    {
        var (train, test) = Cifar10ImageFolder.Load(WriteArchive(Tree()));
        CheckTree(train, test);
        var ds = Cifar10Dataset.Load(WriteArchive(Tree(), "again.tar.gz")); // recognised as an image tree
        Assert.Equal(train.Images, ds.Train.Images);
    }

    [Fact]
    public void TakesFirstPerClass()
    {
        var options = new Cifar10LoadOptions { MaxTrainPerClass = 1, MaxTestPerClass = 1 };
        var (train, test) = Cifar10ImageFolder.Load(WriteFolder(Tree()), options);
        Assert.Equal([0, 3], train.Labels.Select(l => (int)l));
        CheckPattern(train.Image(0), 0);
        Assert.Equal(2, test.Count);
    }

    [Fact]
    public void DecodesJpeg()
    {
        var files = Tree();
        files.Add(("train/frog/j.jpg", Encode(32, 32, (x, y) => new Rgb24(200, 100, 50), jpeg: true)));
        var (train, _) = Cifar10ImageFolder.Load(WriteFolder(files));
        int frog = Array.IndexOf(train.Labels, (byte)6);
        var image = train.Image(frog);
        for (int p = 0; p < 1024; p++)
        {
            Assert.InRange(image[p], 197, 203);
            Assert.InRange(image[1024 + p], 97, 103);
            Assert.InRange(image[2048 + p], 47, 53);
        }
    }

    [Fact]
    public void RefusesWrongSizeNamingFile()
    {
        var files = Tree();
        files.Add(("train/dog/wide.png", Png(5, width: 33)));
        var e = Assert.Throws<DatasetException>(() => Cifar10ImageFolder.Load(WriteArchive(files)));
        Assert.Contains("cifar10/train/dog/wide.png", e.Message);
        Assert.Contains("33×32", e.Message);
    }

    [Fact]
    public void RefusesCorruptFilesNamingThem()
    {
        var garbage = Tree();
        garbage.Add(("test/dog/garbage.jpg", Enumerable.Range(0, 500).Select(i => (byte)(i * 13)).ToArray()));
        var e = Assert.Throws<DatasetException>(() => Cifar10ImageFolder.Load(WriteFolder(garbage, "g")));
        Assert.Contains("garbage.jpg", e.Message);

        var truncated = Tree();
        var png = Png(6);
        truncated.Add(("train/bird/cut.png", png[..(png.Length * 2 / 3)]));
        e = Assert.Throws<DatasetException>(() => Cifar10ImageFolder.Load(WriteFolder(truncated, "t")));
        Assert.Contains("cut.png", e.Message);
    }

    /// <summary>A 32×32 JPEG whose frame header (SOF) claims width × height.</summary>
    static byte[] JpegClaiming(int width, int height)
    {
        var jpeg = Encode(32, 32, (x, y) => Pattern(7, x, y), jpeg: true);
        for (int at = 2; at + 4 < jpeg.Length;)
        {
            Assert.Equal(0xFF, jpeg[at]);
            byte marker = jpeg[at + 1];
            int length = (jpeg[at + 2] << 8) | jpeg[at + 3];
            if (marker is 0xC0 or 0xC1 or 0xC2)
            {
                jpeg[at + 5] = (byte)(height >> 8);
                jpeg[at + 6] = (byte)height;
                jpeg[at + 7] = (byte)(width >> 8);
                jpeg[at + 8] = (byte)width;
                return jpeg;
            }
            at += 2 + length;
        }
        throw new InvalidOperationException("no SOF marker");
    }

    [Fact]
    public void RefusesOversizedHeaderBeforeDecoding()
    {
        var bomb = JpegClaiming(9000, 9000); // under the side limit, over the pixel limit
        var e = Assert.Throws<DatasetException>(() => ImageGuard.Identify(bomb, "bomb.jpg"));
        Assert.Contains("bomb.jpg", e.Message);
        Assert.Contains("9000×9000", e.Message);
        Assert.Contains("refused before decoding", e.Message);
        e = Assert.Throws<DatasetException>(() => ImageGuard.DecodeRgb24(JpegClaiming(20000, 10), "wide.jpg")); // over the side limit
        Assert.Contains("20000×10", e.Message);
        Assert.Contains("refused before decoding", e.Message);

        var files = Tree();
        files.Add(("train/ship/bomb.jpg", bomb));
        e = Assert.Throws<DatasetException>(() => Cifar10ImageFolder.Load(WriteFolder(files)));
        Assert.Contains("bomb.jpg", e.Message);
        Assert.Contains("refused before decoding", e.Message);
    }

    [Fact]
    public void DecoderAllocatorIsCapped()
    {
        // A header that lies gets past Identify; the decoder's allocator still refuses a huge buffer.
        long over = (ImageGuard.AllocationLimitMegabytes + 1L) << 20;
        Assert.Throws<InvalidMemoryOperationException>(() => ImageGuard.Configuration.MemoryAllocator.Allocate<byte>((int)over).Dispose());
        using var fine = ImageGuard.Configuration.MemoryAllocator.Allocate<byte>(1 << 20);
    }

    [Fact]
    public void RefusesUnknownClassFolder()
    {
        var files = Tree();
        files.Add(("train/unicorn/0.png", Png(8)));
        var e = Assert.Throws<DatasetException>(() => Cifar10ImageFolder.Load(WriteFolder(files)));
        Assert.Contains("unicorn", e.Message);
    }

    [Fact]
    public void CacheRoundTripsAndRebuildsWhenDamaged()
    {
        string archive = WriteArchive(Tree());
        string data = Path.Combine(Dir.Path, "data");
        var log = new List<string>();
        var options = new Cifar10LoadOptions { CacheDirectory = data, Log = log.Add };

        var (train, test) = Cifar10ImageFolder.Load(archive, options);
        CheckTree(train, test);
        string cache = Assert.Single(Directory.GetFiles(Path.Combine(data, Cifar10Cache.FolderName)));
        Assert.EndsWith(".u8", cache);
        Assert.Contains(log, l => l.Contains("decoded"));

        log.Clear();
        var (train2, test2) = Cifar10ImageFolder.Load(archive, options);
        Assert.Contains(log, l => l.Contains("from cache"));
        Assert.Equal(train.Images, train2.Images);
        Assert.Equal(test.Labels, test2.Labels);

        // A flipped pixel byte: caught by the payload hash, rebuilt, and valid again afterwards.
        var bytes = File.ReadAllBytes(cache);
        bytes[^100] ^= 1;
        File.WriteAllBytes(cache, bytes);
        log.Clear();
        CheckTree(Cifar10ImageFolder.Load(archive, options).Train, test);
        Assert.Contains(log, l => l.Contains("invalid") && l.Contains("hash mismatch"));
        log.Clear();
        Cifar10ImageFolder.Load(archive, options);
        Assert.Contains(log, l => l.Contains("from cache"));

        // A truncated file is rebuilt too.
        File.WriteAllBytes(cache, bytes[..1000]);
        log.Clear();
        var (train3, _) = Cifar10ImageFolder.Load(archive, options);
        Assert.Equal(train.Images, train3.Images);
        Assert.Contains(log, l => l.Contains("truncated"));

        // Other subset options are another cache entry; no temporary files are left behind.
        Cifar10ImageFolder.Load(archive, new Cifar10LoadOptions { CacheDirectory = data, MaxTrainPerClass = 1 });
        Assert.Equal(2, Directory.GetFiles(Path.Combine(data, Cifar10Cache.FolderName)).Length);
    }

    [Fact]
    public void CacheRefusesGarbage()
    {
        string path = Path.Combine(Dir.Path, "x.u8");
        Assert.Null(Cifar10Cache.TryRead(path, out string reason));
        Assert.Contains("no cache", reason);
        File.WriteAllBytes(path, new byte[200]);
        Assert.Null(Cifar10Cache.TryRead(path, out reason));
        Assert.Contains("magic", reason);
    }
}
