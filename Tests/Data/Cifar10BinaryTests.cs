// Cifar10Binary on small synthetic batch files (5 records each instead of 10,000): a record's label and
// planes land where they should, folder and archive give the same result, and wrong sizes, wrong
// record counts, labels out of range and missing files are refused with the file named.
using Activations.Training.Data;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Data;

public sealed class Cifar10BinaryTests : WithTempDir
{
    const int Records = 5;

    // Record r of file f: label (f + r) % 10, pixel p = (f * 7 + r * 3 + p) % 251.
    static byte[] Batch(int file, int records = Records)
    {
        var data = new byte[records * Cifar10Binary.RecordBytes];
        for (int r = 0; r < records; r++)
        {
            data[r * Cifar10Binary.RecordBytes] = (byte)((file + r) % 10);
            for (int p = 0; p < Cifar10Split.ImageBytes; p++) data[r * Cifar10Binary.RecordBytes + 1 + p] = (byte)((file * 7 + r * 3 + p) % 251);
        }
        return data;
    }

    static string[] AllFiles => [.. Cifar10Binary.TrainFiles, Cifar10Binary.TestFile];

    string WriteFolder(Func<int, byte[]>? batch = null)
    {
        string folder = Path.Combine(Dir.Path, Cifar10Binary.ArchiveFolder);
        Directory.CreateDirectory(folder);
        for (int f = 0; f < AllFiles.Length; f++) File.WriteAllBytes(Path.Combine(folder, AllFiles[f]), (batch ?? (i => Batch(i)))(f));
        return folder;
    }

    static void CheckContent(Cifar10Split train, Cifar10Split test)
    {
        Assert.Equal(5 * Records, train.Count);
        Assert.Equal(Records, test.Count);
        for (int f = 0; f < 6; f++)
            for (int r = 0; r < Records; r++)
            {
                var split = f < 5 ? train : test;
                int i = (f < 5 ? f * Records : 0) + r;
                Assert.Equal((byte)((f + r) % 10), split.Labels[i]);
                var image = split.Image(i);
                foreach (int p in new[] { 0, 1, 1023, 1024, 2048, 3071 }) Assert.Equal((byte)((f * 7 + r * 3 + p) % 251), image[p]);
            }
    }

    [Fact]
    public void ReadsFolder()
    {
        string folder = WriteFolder();
        var (train, test) = Cifar10Binary.Load(folder, Records);
        CheckContent(train, test);
        // The parent folder (holding cifar-10-batches-bin/) works too, and is recognised as binary.
        Assert.True(Cifar10Binary.IsBinaryFolder(Dir.Path));
        var (train2, _) = Cifar10Binary.Load(Dir.Path, Records);
        Assert.Equal(train.Images, train2.Images);
    }

    [Fact]
    public void ReadsArchiveLikeFolder()
    {
        var entries = new List<(string, byte[]?)> { ("cifar-10-batches-bin/", null), ("cifar-10-batches-bin/readme.html", [1, 2, 3]) };
        for (int f = 0; f < 6; f++) entries.Add(($"cifar-10-batches-bin/{AllFiles[f]}", Batch(f)));
        string path = Path.Combine(Dir.Path, "cifar-10-binary.tar.gz");
        File.WriteAllBytes(path, TarArchiveTests.MakeTar(entries, gzip: true));
        var (train, test) = Cifar10Binary.Load(path, Records);
        CheckContent(train, test);
        // The dataset front door recognises the archive as the binary release (and wants official sizes).
        var e = Assert.Throws<DatasetException>(() => Cifar10Dataset.Load(path));
        Assert.Contains("expected 10000", e.Message);
    }

    [Fact]
    public void RefusesPartialRecord()
    {
        WriteFolder(f => f == 2 ? Batch(f)[..^100] : Batch(f));
        var e = Assert.Throws<DatasetException>(() => Cifar10Binary.Load(Dir.Path, Records));
        Assert.Contains("data_batch_3.bin", e.Message);
        Assert.Contains("3073", e.Message);
    }

    [Fact]
    public void RefusesWrongRecordCount()
    {
        WriteFolder(f => f == 5 ? Batch(f, Records - 1) : Batch(f));
        var e = Assert.Throws<DatasetException>(() => Cifar10Binary.Load(Dir.Path, Records));
        Assert.Contains("test_batch.bin", e.Message);
        Assert.Contains($"holds {Records - 1} records, expected {Records}", e.Message);
        // The official count is the default.
        var e2 = Assert.Throws<DatasetException>(() => Cifar10Binary.Load(Dir.Path));
        Assert.Contains("expected 10000", e2.Message);
    }

    [Fact]
    public void RefusesLabelOutOfRange()
    {
        WriteFolder(f =>
        {
            var b = Batch(f);
            if (f == 0) b[2 * Cifar10Binary.RecordBytes] = 10;
            return b;
        });
        var e = Assert.Throws<DatasetException>(() => Cifar10Binary.Load(Dir.Path, Records));
        Assert.Contains("data_batch_1.bin", e.Message);
        Assert.Contains("record 2 has label 10", e.Message);
    }

    [Fact]
    public void RefusesMissingFile()
    {
        string folder = WriteFolder();
        File.Delete(Path.Combine(folder, "data_batch_4.bin"));
        var e = Assert.Throws<DatasetException>(() => Cifar10Binary.Load(folder, Records));
        Assert.Contains("data_batch_4.bin is missing", e.Message);
    }
}
