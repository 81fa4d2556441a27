// Fuzzing of the tar reader (headers: sizes, types, checksums, pax and GNU records) through the CIFAR-10
// image-tree loader that reads images out of tar archives: the mutations and the harness are in ReaderFuzz.cs.
using System.Text;
using Activations.Training.Data;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace Activations.Tests.Data;

public sealed class TarArchiveFuzzTests(ITestOutputHelper output) : ReaderFuzz
{
    const int TarBlock = 512;

    static long ReadOctal(byte[] tar, int at, int width) => Convert.ToInt64(Encoding.ASCII.GetString(tar, at, width).Trim('\0', ' '), 8);

    static void WriteOctal(byte[] tar, int at, int width, long value)
    {
        string digits = Convert.ToString(value, 8).PadLeft(width - 1, '0');
        Encoding.ASCII.GetBytes(digits).CopyTo(tar, at);
        tar[at + digits.Length] = 0;
    }

    static void WriteBase256(byte[] tar, int at, int width, long value, bool negative = false)
    {
        for (int i = width - 1; i >= 1; i--, value >>= 8) tar[at + i] = (byte)value;
        tar[at] = (byte)(negative ? 0xFF : 0x80);
    }

    static void FixChecksum(byte[] tar, int header)
    {
        for (int i = 148; i < 156; i++) tar[header + i] = (byte)' ';
        long sum = 0;
        for (int i = 0; i < TarBlock; i++) sum += tar[header + i];
        string digits = Convert.ToString(sum, 8).PadLeft(6, '0');
        Encoding.ASCII.GetBytes(digits).CopyTo(tar, header + 148);
        tar[header + 154] = 0;
        tar[header + 155] = (byte)' ';
    }

    /// <summary>A ustar header block for an entry of <paramref name="type"/> with <paramref name="size"/> bytes of data.</summary>
    static byte[] TarHeader(string name, char type, long size)
    {
        var h = new byte[TarBlock];
        Encoding.UTF8.GetBytes(name).CopyTo(h, 0);
        WriteOctal(h, 100, 8, Convert.ToInt64("644", 8));
        WriteOctal(h, 108, 8, 0);
        WriteOctal(h, 116, 8, 0);
        WriteOctal(h, 124, 12, size);
        WriteOctal(h, 136, 12, 0);
        h[156] = (byte)type;
        "ustar\0"u8.CopyTo(h.AsSpan(257));
        "00"u8.CopyTo(h.AsSpan(263));
        FixChecksum(h, 0);
        return h;
    }

    /// <summary>A metadata entry ('x' pax header or 'L' GNU long name) with its data padded to whole blocks.</summary>
    static byte[] TarMetadataEntry(char type, byte[] data)
    {
        var padded = new byte[(data.Length + TarBlock - 1) / TarBlock * TarBlock];
        data.CopyTo(padded, 0);
        return [.. TarHeader(type == 'x' ? "PaxHeaders/0" : "././@LongLink", type, data.Length), .. padded];
    }

    /// <summary>A pax record "length key=value\n" with its self-inclusive length.</summary>
    static string PaxRecord(string key, string value)
    {
        int body = key.Length + value.Length + 3; // space, '=', newline
        int length = body + body.ToString().Length;
        if (length.ToString().Length != body.ToString().Length) length++;
        return $"{length} {key}={value}\n";
    }

    /// <summary>Offsets of the header blocks of a ustar archive (not the end-of-archive block).</summary>
    static List<int> TarHeaders(byte[] tar)
    {
        var headers = new List<int>();
        for (int at = 0; at + TarBlock <= tar.Length && tar.AsSpan(at, TarBlock).IndexOfAnyExcept((byte)0) >= 0;)
        {
            headers.Add(at);
            long size = ReadOctal(tar, at + 124, 12);
            at += TarBlock + (int)((size + TarBlock - 1) / TarBlock * TarBlock);
        }
        return headers;
    }

    /// <summary>
    /// Header-field mutations of a tar, with the header checksum recomputed so the reader meets the field
    /// itself: sizes (huge octal and base-256, negative, off by one), type flags, names, the checksum field,
    /// the ustar magic and prefix; and inserted metadata entries (pax records, GNU long names) that are
    /// malformed or claim huge sizes. Such an archive may legitimately hold fewer images (a type flag that
    /// turns an image into a link, a name that is no longer an image), so a load need not find them all.
    /// </summary>
    static IEnumerable<(string Label, byte[] Data)> TarFieldMutations(byte[] tar)
    {
        var headers = TarHeaders(tar);
        foreach (int h in new[] { headers[0], headers[^1] })
        {
            string at = h == 0 ? "first" : "last";
            long size = ReadOctal(tar, h + 124, 12);
            byte[] Field(Action<byte[]> change) => With(tar, b => { change(b); FixChecksum(b, h); });

            foreach (long v in new[] { 0, 1, size - 1, size + 1, size + TarBlock, 1L << 20, 64L << 20, 1L << 30, (1L << 31) - 1, 1L << 31, 1L << 32, (1L << 33) - 1 }.Distinct())
                yield return ($"{at}-size={v}", Field(b => WriteOctal(b, h + 124, 12, v)));
            foreach (long v in new[] { size, int.MaxValue, 1L << 40, long.MaxValue >> 8, long.MaxValue })
                yield return ($"{at}-size=b256:{v}", Field(b => WriteBase256(b, h + 124, 12, v)));
            yield return ($"{at}-size=b256-negative", Field(b => WriteBase256(b, h + 124, 12, 5, negative: true)));
            yield return ($"{at}-size=b256-overflow", Field(b => { for (int i = 0; i < 12; i++) b[h + 124 + i] = 0xBF; }));
            yield return ($"{at}-size=garbage", Field(b => "12x4"u8.CopyTo(b.AsSpan(h + 124))));
            yield return ($"{at}-size=spaces", Field(b => b.AsSpan(h + 124, 12).Fill((byte)' ')));
            yield return ($"{at}-size=9s", Field(b => b.AsSpan(h + 124, 11).Fill((byte)'9')));
            yield return ($"{at}-size=7s-no-nul", Field(b => b.AsSpan(h + 124, 12).Fill((byte)'7')));

            foreach (char t in new[] { '\0', '1', '2', '3', '4', '5', '6', '7', 'g', 'K', 'L', 'x', 'Z', (char)0xFF })
                yield return ($"{at}-type={(int)t:x2}", Field(b => b[h + 156] = (byte)t));

            yield return ($"{at}-name=unknown-class", Field(b => { b.AsSpan(h, 100).Clear(); "cifar10/train/unicorn/0.png"u8.CopyTo(b.AsSpan(h)); }));
            string dir = Encoding.ASCII.GetString(tar, h, 100).TrimEnd('\0');
            dir = dir[..(dir.LastIndexOf('/') + 1)];
            yield return ($"{at}-name=no-nul", Field(b => Encoding.ASCII.GetBytes(dir + new string('n', 100 - dir.Length - 4) + ".png").CopyTo(b, h)));
            yield return ($"{at}-name=invalid-utf8", Field(b => { b.AsSpan(h, 100).Clear(); ((byte[])[.. Encoding.ASCII.GetBytes(dir), 0xC3, 0x28, .. ".png"u8]).CopyTo(b, h); }));
            yield return ($"{at}-prefix=no-nul", Field(b => b.AsSpan(h + 345, 155).Fill((byte)'p')));
            yield return ($"{at}-magic=gnu", Field(b => "ustar  \0"u8.CopyTo(b.AsSpan(h + 257))));
            yield return ($"{at}-magic=garbage", Field(b => "XXXXXXXX"u8.CopyTo(b.AsSpan(h + 257))));

            yield return ($"{at}-checksum=0", With(tar, b => WriteOctal(b, h + 148, 8, 0)));
            yield return ($"{at}-checksum=+1", With(tar, b => WriteOctal(b, h + 148, 8, ReadOctal(b, h + 148, 8) + 1)));
            yield return ($"{at}-checksum=spaces", With(tar, b => b.AsSpan(h + 148, 8).Fill((byte)' ')));
            yield return ($"{at}-checksum=garbage", With(tar, b => "9z9z9z9z"u8.CopyTo(b.AsSpan(h + 148))));
            yield return ($"{at}-checksum=b256-huge", With(tar, b => WriteBase256(b, h + 148, 8, long.MaxValue >> 8)));
        }

        // Metadata entries inserted before the first entry.
        var pax = new (string Label, string Text)[]
        {
            ("path-valid", PaxRecord("path", "cifar10/train/airplane/0.png")),
            ("path-unknown-class", PaxRecord("path", "cifar10/test/unicorn/9.png")),
            ("path-empty", PaxRecord("path", "")),
            ("size-negative", PaxRecord("size", "-5")),
            ("size-huge", PaxRecord("size", "9000000000000")),
            ("size-2GiB", PaxRecord("size", "2147483647")),
            ("size-1GiB", PaxRecord("size", "1073741824")),
            ("size-unparsable", PaxRecord("size", "99999999999999999999999")),
            ("length-minimal", "2 "),
            ("length-minimal-nl", "2 \n"),
            ("length-no-key", "3 \n"),
            ("length-0", "0 path=x\n"),
            ("length-negative", "-5 path=x\n"),
            ("length-huge", "99999999999 path=x\n"),
            ("length-int-max", "2147483647 path=x\n"),
            ("length-short", "4 path=cifar10/x\n"),
            ("length-long", "40 path=x\n"),
            ("no-space", "12path=x\n"),
            ("no-length", " path=x\n"),
            ("not-a-number", "1x path=x\n"),
            ("no-equals", "9 pathx\n\n"),
            ("empty", ""),
        };
        foreach (var (label, text) in pax)
            yield return ($"pax-{label}", [.. TarMetadataEntry('x', Encoding.UTF8.GetBytes(text)), .. tar]);
        yield return ("pax-size=huge-header", [.. With(TarMetadataEntry('x', []), b => { WriteOctal(b, 124, 12, 1L << 32); FixChecksum(b, 0); }), .. tar]);
        yield return ("gnu-longname-valid", [.. TarMetadataEntry('L', Encoding.UTF8.GetBytes("cifar10/train/airplane/0.png\0")), .. tar]);
        yield return ("gnu-longname-unknown-class", [.. TarMetadataEntry('L', Encoding.UTF8.GetBytes("cifar10/train/unicorn/0.png\0")), .. tar]);
        yield return ("gnu-longname-empty", [.. TarMetadataEntry('L', []), .. tar]);
        yield return ("gnu-longname-huge", [.. With(TarMetadataEntry('L', []), b => { WriteOctal(b, 124, 12, 1L << 30); FixChecksum(b, 0); }), .. tar]);
        yield return ("gnu-longname-at-end", [.. tar[..headers[^1]], .. TarMetadataEntry('L', "x"u8.ToArray()), .. new byte[2 * TarBlock]]);
        yield return ("pax-at-end", [.. tar[..headers[^1]], .. TarMetadataEntry('x', Encoding.UTF8.GetBytes(PaxRecord("path", "a/b/c.png"))), .. new byte[2 * TarBlock]]);
        yield return ("no-end-block", tar[..(tar.Length - 2 * TarBlock)]);
        yield return ("one-end-block", tar[..(tar.Length - TarBlock)]);
        yield return ("only-end-blocks", new byte[2 * TarBlock]);
        yield return ("one-zero-byte", [0]);
    }

    static Rgb24 Pattern(int k, int x, int y) => new((byte)(k * 10 + x), (byte)((k * 5 + y * 7) % 256), (byte)((x * y + k) % 256));

    internal static byte[] Png(int k) => Cifar10ImageFolderTests.Encode(32, 32, (x, y) => Pattern(k, x, y));

    internal static byte[] Jpeg(int k) => Cifar10ImageFolderTests.Encode(32, 32, (x, y) => Pattern(k, x, y), jpeg: true);

    /// <summary>train: airplane/0.png, cat/1.png, frog/2.jpg; test: truck/0.png, airplane/5.jpg; plus a text file and a folder.</summary>
    static byte[] ImageTreeTar() => TarArchiveTests.MakeTar(
    [
        ("cifar10/train/airplane/0.png", Png(0)),
        ("cifar10/train/cat/1.png", Png(1)),
        ("cifar10/train/cat/notes.txt", "not an image"u8.ToArray()),
        ("cifar10/train/frog/", null),
        ("cifar10/train/frog/2.jpg", Jpeg(2)),
        ("cifar10/test/truck/0.png", Png(3)),
        ("cifar10/test/airplane/5.jpg", Jpeg(4)),
    ]);

    [Theory]
    [InlineData(true, 420)]
    [InlineData(false, 2300)]
    public void Cifar10ImageArchiveFuzz(bool gzip, int floor)
    {
        var fuzz = new Fuzz(gzip ? "cifar10-images.tar.gz" : "cifar10-images.tar", typeof(DatasetException));
        var options = new Cifar10LoadOptions { MaxDegreeOfParallelism = 2 };
        byte[] tar = ImageTreeTar();
        byte[] stored = gzip ? Gzip(tar) : tar;

        // Exact: byte-level damage (caught by the tar checksums and the PNG CRCs, or harmless) leaves all 3 + 2 images.
        IEnumerable<(string Label, byte[] Data, bool Exact)> Cases()
        {
            yield return ("valid", stored, true);
            var bytes = gzip
                ? ByteMutations(stored, header: 10, seed: 1401, bodyCuts: 64, bodyFlips: 160, trailer: 8)
                : ByteMutations(stored, header: TarBlock, seed: 1402, bodyCuts: 96, bodyFlips: 200);
            foreach (var (label, data) in bytes) yield return (label, data, true);
            foreach (var (label, data) in TarFieldMutations(tar)) yield return (label, gzip ? Gzip(data) : data, false);
            if (gzip)
            {
                yield return ("gzip-method=7", With(stored, b => b[2] = 7), true);
                yield return ("gzip-flags=all", With(stored, b => b[3] = 0xFF), true);
                yield return ("gzip-of-empty", Gzip([]), true);
                yield return ("gzip-twice", Gzip(stored), true);
            }
            else
            {
                yield return ("idx-file", IdxFuzzTests.IdxImagesFile(), true);
                yield return ("png-file", Png(5), true);
            }
        }

        foreach (var (label, data, exact) in Cases())
            RunFile(fuzz, label, data, gzip ? "-cifar.tar.gz" : "-cifar.tar", path =>
            {
                var (train, test) = Cifar10ImageFolder.Load(path, options);
                bool consistent = train.Images.Length == train.Count * Cifar10Split.ImageBytes && test.Images.Length == test.Count * Cifar10Split.ImageBytes;
                bool counts = exact ? train.Count == 3 && test.Count == 2 : train.Count <= 3 && test.Count <= 2;
                return consistent && counts ? null : $"{train.Count} + {test.Count} images";
            }, mustLoad: label == "valid");
        fuzz.Report(output, floor);
    }
}
