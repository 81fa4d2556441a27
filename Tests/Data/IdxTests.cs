// The IDX reader against small synthetic files: valid raw and gzipped files parse; every broken
// file (truncated, flipped bytes, wrong magic, disagreeing counts, empty, a directory, a huge
// declared size) fails with one DataFormatException naming the file — never an
// IndexOutOfRange, OutOfMemory or EndOfStream.
using System.Buffers.Binary;
using System.IO.Compression;
using Activations.Tests.Infrastructure;
using Activations.Training.Data;
using static Activations.Tests.Infrastructure.IdxFiles;

namespace Activations.Tests.Data;

public class IdxTests : WithTempDir
{



    private string Write(string name, byte[] content)
    {
        string path = Dir.File(name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static void Fails(string path, Action read, string expected)
    {
        var e = Assert.Throws<DataFormatException>(read);
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void RawAndGzippedImagesParse()
    {
        var raw = Images(3, 4, 5);
        foreach (var path in new[] { Write("a.idx", raw), Write("a.idx.gz", Gzip(raw)), Write("gz-without-suffix", Gzip(raw)) })
        {
            var img = Idx.ReadImages(path);
            Assert.Equal((3, 4, 5), (img.Count, img.Rows, img.Cols));
            Assert.Equal(raw[16..], img.Pixels);
        }
        Assert.Equal(new byte[] { 0, 9, 3 }, Idx.ReadLabels(Write("l.gz", Gzip(Labels(0, 9, 3)))));
    }

    [Fact]
    public void TruncatedRawFile() =>
        Fails(Write("t.idx", Images(3, 4, 5)[..^7]), () => Idx.ReadImages(Dir.File("t.idx")), "truncated");

    [Fact]
    public void TruncatedGzipFile()
    {
        var gz = Gzip(Images(50, 28, 28));
        string path = Write("t.gz", gz[..(gz.Length / 2)]);
        Fails(path, () => Idx.ReadImages(path), "");
    }

    [Fact]
    public void FlippedByteInGzipBodyIsCaught()
    {
        var gz = Gzip(Images(50, 28, 28));
        for (int k = 12; k < gz.Length - 8; k += Math.Max(1, gz.Length / 9))
        {
            var bad = (byte[])gz.Clone();
            bad[k] ^= 0x5a;
            string path = Write($"flip{k}.gz", bad);
            // Either the gzip layer (CRC, bad block) or the length check rejects it; content that
            // happens to decode is still a well-formed file of the declared size.
            try { Idx.ReadImages(path); }
            catch (DataFormatException e) { Assert.Contains(path, e.Message); }
        }
    }

    [Fact]
    public void FlippedPixelOfAKnownFileFailsItsHash()
    {
        // A file named like an official one must match the official SHA-256 of its data set.
        string path = Write("t10k-labels-idx1-ubyte.gz", Gzip(Labels(1, 2, 3)));
        Fails(path, () => Idx.ReadLabels(path, IdxDatasets.Mnist.CheckFor(path)), "SHA-256");
        Fails(path, () => Idx.ReadLabels(path, IdxDatasets.FashionMnist.CheckFor(path)), "SHA-256");
        Fails(path, () => Idx.ReadLabels(path, IdxDatasets.Kmnist.CheckFor(path)), "MD5 of the .gz file");
    }

    [Fact]
    public void WrongMagic()
    {
        Fails(Write("m.idx", Images(2, 2, 2, magic: 0x00000804)), () => Idx.ReadImages(Dir.File("m.idx")), "magic number 0x00000804");
        string labels = Write("labels-as-images", Labels(1, 2));
        Fails(labels, () => Idx.ReadImages(labels), "labels file?");
    }

    [Fact]
    public void DeclaredCountDisagreesWithLength()
    {
        Fails(Write("more.idx", Images(3, 4, 4, declaredCount: 4)), () => Idx.ReadImages(Dir.File("more.idx")), "truncated");
        Fails(Write("less.idx", Images(3, 4, 4, declaredCount: 2)), () => Idx.ReadImages(Dir.File("less.idx")), "trailing data");
    }

    [Fact]
    public void ImageAndLabelCountsDisagree()
    {
        string img = Write("i.gz", Gzip(Images(3, 28, 28)));
        string lab = Write("l.gz", Gzip(Labels(1, 2)));
        var e = Assert.Throws<DataFormatException>(() => MnistDataset.LoadSplit(img, lab));
        Assert.Contains("3 images", e.Message);
        Assert.Contains("2 labels", e.Message);
    }

    [Fact]
    public void LabelOutOfRange() =>
        Fails(Write("l.idx", Labels(1, 10, 2)), () => Idx.ReadLabels(Dir.File("l.idx")), "label 1 is 10");

    [Fact]
    public void EmptyFileDirectoryAndMissingFile()
    {
        Fails(Write("empty.gz", []), () => Idx.ReadImages(Dir.File("empty.gz")), "empty");
        string dir = Dir.File("adir");
        Directory.CreateDirectory(dir);
        Fails(dir, () => Idx.ReadImages(dir), "directory");
        Fails(Dir.File("nope.gz"), () => Idx.ReadImages(Dir.File("nope.gz")), "not found");
        Fails(Write("tiny", [0, 0, 8]), () => Idx.ReadImages(Dir.File("tiny")), "too short");
    }

    [Fact]
    public void HugeDeclaredDimensionIsRefusedBeforeAllocating()
    {
        var header = Images(0, 28, 28, declaredCount: int.MaxValue);
        Fails(Write("huge.idx", header), () => Idx.ReadImages(Dir.File("huge.idx")), "larger than any IDX file");
        Fails(Write("side.idx", Images(0, 100_000, 28, declaredCount: 1)), () => Idx.ReadImages(Dir.File("side.idx")), "out of range");
        var neg = Images(1, 2, 2);
        BinaryPrimitives.WriteInt32BigEndian(neg.AsSpan(8), -2);
        Fails(Write("neg.idx", neg), () => Idx.ReadImages(Dir.File("neg.idx")), "negative");
    }

    [Fact]
    public void GzipBombIsRefused()
    {
        // 600 MiB of zeros compress to well under a megabyte.
        string path = Dir.File("bomb.gz");
        using (var fs = File.Create(path))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 600; i++) gz.Write(zeros);
        }
        Fails(path, () => Idx.ReadImages(path), "MiB");
    }
}
