// TarArchive against archives written by the BCL's TarWriter (ustar, GNU and pax formats, plain and
// gzipped), and against truncated and corrupted copies: every failure must be a DatasetException whose
// message names the archive (and the entry when there is one). MakeTar is shared with the CIFAR tests.
using System.Formats.Tar;
using System.IO.Compression;
using Activations.Training.Data;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Data;

public sealed class TarArchiveTests : WithTempDir
{
    /// <summary>A tar (gzipped when asked) of the given files; a null payload makes a directory entry.</summary>
    public static byte[] MakeTar(IEnumerable<(string Name, byte[]? Data)> entries, TarEntryFormat format = TarEntryFormat.Ustar, bool gzip = false)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, format, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                TarEntry entry = format switch
                {
                    TarEntryFormat.Gnu => new GnuTarEntry(data == null ? TarEntryType.Directory : TarEntryType.RegularFile, name),
                    TarEntryFormat.Pax => new PaxTarEntry(data == null ? TarEntryType.Directory : TarEntryType.RegularFile, name),
                    _ => new UstarTarEntry(data == null ? TarEntryType.Directory : TarEntryType.RegularFile, name),
                };
                if (data != null) entry.DataStream = new MemoryStream(data);
                writer.WriteEntry(entry);
            }
        }
        if (!gzip) return tar.ToArray();
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(tar.ToArray());
        return gz.ToArray();
    }

    static byte[] Bytes(int n, int seed) => Enumerable.Range(0, n).Select(i => (byte)(i * 31 + seed)).ToArray();

    static readonly (string, byte[]?)[] Sample =
    [
        ("d/", null),
        ("d/a.bin", Bytes(700, 1)),
        ("d/empty", []),
        ("d/sub/b.bin", Bytes(3000, 2)),
        ("d/exact", Bytes(1024, 3)),
    ];

    string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(Dir.Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static List<(string Name, TarArchiveEntryType Type, byte[] Data)> ReadAll(string path)
    {
        using var archive = TarArchive.Open(path);
        return archive.Entries().Select(e => (e.Name, e.Type, e.ReadAllBytes())).ToList();
    }

    [Theory]
    [InlineData(TarEntryFormat.Ustar, false)]
    [InlineData(TarEntryFormat.Gnu, false)]
    [InlineData(TarEntryFormat.Pax, false)]
    [InlineData(TarEntryFormat.Ustar, true)]
    [InlineData(TarEntryFormat.Pax, true)]
    public void ReadsNamesTypesAndData(TarEntryFormat format, bool gzip)
    {
        var entries = ReadAll(Write("a.tar", MakeTar(Sample, format, gzip)));
        Assert.Equal(Sample.Select(s => s.Item1), entries.Select(e => e.Name));
        for (int i = 0; i < Sample.Length; i++)
        {
            Assert.Equal(Sample[i].Item2 == null ? TarArchiveEntryType.Directory : TarArchiveEntryType.File, entries[i].Type);
            Assert.Equal(Sample[i].Item2 ?? [], entries[i].Data);
        }
    }

    [Theory]
    [InlineData(TarEntryFormat.Ustar, 180)] // the 155-byte prefix + 100-byte name split
    [InlineData(TarEntryFormat.Gnu, 300)]   // 'L' long-name entry
    [InlineData(TarEntryFormat.Pax, 300)]   // pax 'path' record
    public void ReadsLongNames(TarEntryFormat format, int length)
    {
        // A long folder part and a 59-character file name, so a ustar writer can split it at the last '/'.
        string name = string.Concat(Enumerable.Range(0, length / 5).Select(i => $"dir{i:D5}/"))[..(length - 60)] + "/" + new string('f', 55) + ".bin";
        var entries = ReadAll(Write("long.tar", MakeTar([(name, Bytes(10, 4)), ("short", Bytes(5, 5))], format)));
        Assert.Equal([name, "short"], entries.Select(e => e.Name));
        Assert.Equal(Bytes(10, 4), entries[0].Data);
    }

    [Fact]
    public void SkipsUnreadData()
    {
        using var archive = TarArchive.Open(Write("s.tar.gz", MakeTar(Sample, gzip: true)));
        var names = new List<string>();
        foreach (var e in archive.Entries())
        {
            names.Add(e.Name);
            if (e.Size > 0) e.Data.ReadExactly(new byte[1]); // read one byte, leave the rest
        }
        Assert.Equal(Sample.Select(s => s.Item1), names);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedInsideEntryNamesArchiveAndEntry(bool gzip)
    {
        var tar = MakeTar(Sample);
        // Headers: d/ at 0, a.bin at 512 (data 1024..1724), empty at 2048, sub/b.bin at 2560 (data 3072..6072).
        var cut = tar[..4000];
        string path = Write("cut.tar", gzip ? Gzip(cut) : cut);
        var e = Assert.Throws<DatasetException>(() => ReadAll(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("d/sub/b.bin", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void MissingEndOfArchiveIsTruncation()
    {
        var tar = MakeTar(Sample);
        int end = 512 * (1 + 1 + 2 + 1 + 1 + 6 + 1 + 2); // through the last entry's data
        var e = Assert.Throws<DatasetException>(() => ReadAll(Write("noend.tar", tar[..end])));
        Assert.Contains("d/exact", e.Message);
        Assert.Contains("end-of-archive", e.Message);
    }

    [Fact]
    public void CorruptHeaderFailsChecksum()
    {
        var tar = MakeTar(Sample);
        tar[2560 + 3] ^= 0x20; // a letter of "d/sub/b.bin"
        string path = Write("bad.tar", tar);
        var e = Assert.Throws<DatasetException>(() => ReadAll(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("checksum", e.Message);
        Assert.Contains("d/empty", e.Message); // the last good entry locates the damage
    }

    [Fact]
    public void NotATarFile()
    {
        string path = Write("random.tar", Bytes(5000, 7));
        var e = Assert.Throws<DatasetException>(() => ReadAll(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void CorruptGzipNamesArchive()
    {
        var gz = MakeTar(Sample, gzip: true);
        for (int i = 20; i < gz.Length - 8; i += 7) gz[i] ^= 0x5A;
        string path = Write("bad.tar.gz", gz);
        var e = Assert.Throws<DatasetException>(() => ReadAll(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void TruncatedGzipNamesArchive()
    {
        var gz = MakeTar(Sample, gzip: true);
        string path = Write("cut.tar.gz", gz[..(gz.Length / 2)]);
        var e = Assert.Throws<DatasetException>(() => ReadAll(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void GzipChecksumIsVerifiedAtTheEnd()
    {
        var gz = MakeTar(Sample, gzip: true);
        Assert.Equal(Sample.Length, ReadAll(Write("good.tar.gz", gz)).Count); // the intact archive reads
        var bad = (byte[])gz.Clone();
        bad[^6] ^= 0xFF; // inside the gzip trailer's CRC-32: every entry decompresses, the check fails
        string path = Write("crc.tar.gz", bad);
        var e = Assert.Throws<DatasetException>(() => ReadAll(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("corrupt", e.Message);
    }

    [Fact]
    public void MissingFileIsADatasetException()
    {
        var e = Assert.Throws<DatasetException>(() => TarArchive.Open(Path.Combine(Dir.Path, "nope.tar")));
        Assert.Contains("nope.tar", e.Message);
    }

    static byte[] Gzip(byte[] data)
    {
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(data);
        return gz.ToArray();
    }
}
