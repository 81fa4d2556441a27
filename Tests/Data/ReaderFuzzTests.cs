// Deterministic fuzzing of every reader of untrusted files. Each test builds a small valid file of one
// format, then feeds the reader a fixed, seeded set of mutations of it: truncation (length 0, every
// offset within the header, a spread through the body), byte flips (every header byte with three masks,
// sampled body bytes), appended garbage, header fields set to wrong, huge or negative values (with the
// checksums fixed where the format has them, so the field itself is what the reader meets) and wrong
// magic. Every case must either load with the right shapes or throw the reader's documented exception
// (DataFormatException, DatasetException or CheckpointException) with a one-line message naming the
// file. Anything else — another exception type, a large allocation on the reading thread, a hang — is
// collected, and all of a format's failures are reported together in one assertion message.
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Activations.Tests.Infrastructure;
using Activations.Training.Checkpoints;
using Activations.Training.Data;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace Activations.Tests.Data;

public sealed class ReaderFuzzTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // ---------------------------------------------------------------- harness

    /// <summary>Runs the cases of one format and tallies them; failures are collected, not thrown.</summary>
    sealed class Fuzz(string format, Type refusal)
    {
        /// <summary>More than this allocated on the reading thread for a file of a few kilobytes is a failure.</summary>
        const long MaxAllocatedBytes = 64L << 20;

        /// <summary>Generous: a case normally takes well under a millisecond; this only turns a hang into a failure.</summary>
        static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(30);

        readonly Stopwatch _clock = Stopwatch.StartNew();
        readonly List<string> _failures = [];
        bool _hung;
        int _loaded, _refused;

        public int Cases => _loaded + _refused + _failures.Count;

        /// <summary>
        /// Runs one case. <paramref name="load"/> reads the file and returns null when the result has the
        /// right shapes, otherwise what is wrong. A refusal must be a <c>refusal</c> exception whose message
        /// is one line containing <paramref name="name"/> (the file's path, or the name given to the reader).
        /// </summary>
        public void Run(string label, string name, Func<string?> load, bool mustLoad = false)
        {
            if (_hung) return;
            string? problem = null;
            Exception? error = null;
            long allocated = 0;
            var task = Task.Run(() =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                try { problem = load(); }
                catch (Exception e) { error = e; }
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            });
            if (!task.Wait(CaseLimit))
            {
                _failures.Add($"{label}: no result after {CaseLimit.TotalSeconds:F0} s (hang); the remaining cases were skipped");
                _hung = true;
                return;
            }
            string what = error == null ? "loaded" : $"{error.GetType().Name}: {OneLine(error.Message)}";
            if (allocated > MaxAllocatedBytes)
                _failures.Add($"{label}: allocated {allocated >> 20} MiB on the reading thread ({what})");
            else if (error == null)
            {
                if (problem != null) _failures.Add($"{label}: loaded, but {problem}");
                else _loaded++;
            }
            else if (error.GetType() == refusal && error.Message.Contains(name) && !error.Message.Contains('\n'))
            {
                if (mustLoad) _failures.Add($"{label}: the valid file was refused: {OneLine(error.Message)}");
                else _refused++;
            }
            else
            {
                string why = error.GetType() != refusal ? $"not a {refusal.Name}"
                    : !error.Message.Contains(name) ? $"the message does not name {name}" : "the message is not one line";
                string at = error.StackTrace?.Split('\n', StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
                _failures.Add($"{label}: {what} ({why}) {at}");
            }
        }

        /// <summary>Writes the tally; asserts no failures, at least <paramref name="floor"/> cases, and the time bound.</summary>
        public void Report(ITestOutputHelper output, int floor, double maxSeconds = 30)
        {
            double seconds = _clock.Elapsed.TotalSeconds;
            output.WriteLine($"{format}: {Cases} cases, {_loaded} loaded, {_refused} refused, {_failures.Count} failed ({seconds:F1} s)");
            foreach (var f in _failures) output.WriteLine("  " + f);
            Assert.True(_failures.Count == 0, $"{format}: {_failures.Count} of {Cases} cases failed:\n" + string.Join("\n", _failures));
            Assert.True(Cases >= floor, $"{format}: only {Cases} cases ran, expected at least {floor}");
            Assert.True(seconds < maxSeconds, $"{format}: {Cases} cases took {seconds:F1} s, expected under {maxSeconds} s");
        }

        static string OneLine(string s) => s.ReplaceLineEndings(" ⏎ ");
    }

    /// <summary>Writes <paramref name="data"/> to a fresh file, runs the case on it, then deletes it.</summary>
    void RunFile(Fuzz fuzz, string label, byte[] data, string suffix, Func<string, string?> load, bool mustLoad = false)
    {
        string path = _dir.File($"case{fuzz.Cases:D5}{suffix}");
        File.WriteAllBytes(path, data);
        fuzz.Run(label, path, () => load(path), mustLoad);
        File.Delete(path);
    }

    static readonly byte[] Masks = [0x01, 0x80, 0xFF];

    /// <summary>
    /// Byte-level mutations of <paramref name="valid"/>, deterministic for a seed: length 0; truncation at
    /// every offset within the first <paramref name="header"/> bytes and the last <paramref name="trailer"/>
    /// bytes and at <paramref name="bodyCuts"/> spread offsets (plus a quarter as many random ones) in
    /// between; every header and trailer byte flipped with each of <see cref="Masks"/>;
    /// <paramref name="bodyFlips"/> random body bytes flipped with random masks; appended garbage.
    /// </summary>
    static IEnumerable<(string Label, byte[] Data)> ByteMutations(byte[] valid, int header, int seed, int bodyCuts, int bodyFlips, int trailer = 0)
    {
        var rng = new Random(seed);
        header = Math.Min(header, valid.Length);
        int bodyEnd = valid.Length - trailer;
        yield return ("empty", []);

        var cuts = new SortedSet<int>();
        for (int n = 1; n <= header; n++) cuts.Add(n);
        for (int k = 0; k < bodyCuts; k++) cuts.Add(header + (int)((long)(bodyEnd - header) * k / bodyCuts));
        for (int k = 0; k < bodyCuts / 4; k++) cuts.Add(rng.Next(header, bodyEnd));
        for (int n = bodyEnd; n < valid.Length; n++) cuts.Add(n);
        cuts.Add(valid.Length - 1);
        cuts.Remove(0);
        cuts.Remove(valid.Length);
        foreach (int n in cuts) yield return ($"cut@{n}", valid[..n]);

        for (int i = 0; i < header; i++)
            foreach (byte m in Masks) yield return ($"flip@{i}^{m:x2}", Flip(valid, i, m));
        for (int i = bodyEnd; i < valid.Length; i++)
            foreach (byte m in Masks) yield return ($"flip@{i}^{m:x2}", Flip(valid, i, m));
        for (int k = 0; k < bodyFlips && header < bodyEnd; k++)
        {
            int i = rng.Next(header, bodyEnd);
            byte m = (byte)rng.Next(1, 256);
            yield return ($"flip@{i}^{m:x2}", Flip(valid, i, m));
        }

        foreach (int n in new[] { 1, 3, 8, 511, 4096 })
        {
            var garbage = new byte[n];
            rng.NextBytes(garbage);
            yield return ($"append{n}", [.. valid, .. garbage]);
        }
        yield return ("append-zeros1024", [.. valid, .. new byte[1024]]);
        yield return ("twice", [.. valid, .. valid]);
    }

    static byte[] Flip(byte[] data, int at, byte mask)
    {
        var b = (byte[])data.Clone();
        b[at] ^= mask;
        return b;
    }

    static byte[] With(byte[] data, Action<byte[]> change)
    {
        var b = (byte[])data.Clone();
        change(b);
        return b;
    }

    static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal)) gz.Write(data);
        return ms.ToArray();
    }

    static byte[] Gunzip(byte[] data)
    {
        using var gz = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>Values a 32-bit header field is set to: empty, tiny, negative, at and past the limits, huge.</summary>
    static readonly int[] HugeInts = [0, 1, -1, 2, int.MaxValue, int.MinValue, 0x7FFFFFF0, 0x00FFFFFF, 0x01000000, 0x10000, 0x8000, 4096, 4097, 16384, 16385];

    // ---------------------------------------------------------------- IDX

    const int IdxCount = 4, IdxRows = 7, IdxCols = 9, IdxLabelCount = 40;

    static byte[] IdxImagesFile()
    {
        var b = new byte[16 + IdxCount * IdxRows * IdxCols];
        BinaryPrimitives.WriteInt32BigEndian(b, Idx.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), IdxCount);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8), IdxRows);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(12), IdxCols);
        for (int i = 16; i < b.Length; i++) b[i] = (byte)(i * 7);
        return b;
    }

    static byte[] IdxLabelsFile()
    {
        var b = new byte[8 + IdxLabelCount];
        BinaryPrimitives.WriteInt32BigEndian(b, Idx.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), IdxLabelCount);
        for (int i = 0; i < IdxLabelCount; i++) b[8 + i] = (byte)(i * 3 % 10);
        return b;
    }

    /// <summary>The IDX header fields (magic, then each dimension) set to wrong and huge values.</summary>
    static IEnumerable<(string Label, byte[] Data)> IdxFieldMutations(byte[] valid, int rank)
    {
        int magic = BinaryPrimitives.ReadInt32BigEndian(valid);
        int[] magics = [0, 1, Idx.ImagesMagic, Idx.LabelsMagic, 0x00000802, 0x00000804, 0x00000903, 0x00000D03, 0x03080000, 0x01080000, -1, 0x1F8B0800, int.MinValue];
        foreach (int m in magics.Where(m => m != magic))
            yield return ($"magic=0x{m:x8}", With(valid, b => BinaryPrimitives.WriteInt32BigEndian(b, m)));
        for (int d = 0; d < rank; d++)
        {
            int original = BinaryPrimitives.ReadInt32BigEndian(valid.AsSpan(4 + 4 * d));
            int at = 4 + 4 * d;
            foreach (int v in HugeInts.Append(original + 1).Append(original - 1).Where(v => v != original).Distinct())
                yield return ($"dim{d}={v}", With(valid, b => BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(at), v)));
        }
        // Every dimension huge at once, and a product that overflows 32 bits but not the per-side limit.
        yield return ("dims=max", With(valid, b => { for (int d = 0; d < rank; d++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * d), int.MaxValue); }));
        if (rank == 3)
        {
            yield return ("dims=128x4096x4096", With(valid, b =>
            {
                BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), 128);
                BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8), 4096);
                BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(12), 4096);
            }));
            yield return ("dims=int.Max x4096x4096", With(valid, b =>
            {
                BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), int.MaxValue);
                BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8), 4096);
                BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(12), 4096);
            }));
        }
        // Only a header, and a header whose count is zero with no body.
        yield return ("header-only", valid[..(4 + 4 * rank)]);
        yield return ("header-only-count0", With(valid[..(4 + 4 * rank)], b => BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), 0)));
        yield return ("magic-only", valid[..4]);
    }

    /// <summary>All cases of an IDX file: byte mutations of the file as stored, and field mutations (gzipped when the file is).</summary>
    static IEnumerable<(string Label, byte[] Data)> IdxCases(byte[] content, int rank, bool gzip, int seed)
    {
        byte[] stored = gzip ? Gzip(content) : content;
        yield return ("valid", stored);
        var bytes = gzip
            ? ByteMutations(stored, header: 10, seed, bodyCuts: 40, bodyFlips: 120, trailer: 8) // gzip header and CRC32/ISIZE trailer exhaustively
            : ByteMutations(stored, header: 4 + 4 * rank, seed, bodyCuts: 40, bodyFlips: 80);
        foreach (var c in bytes) yield return c;
        foreach (var (label, data) in IdxFieldMutations(content, rank)) yield return (label, gzip ? Gzip(data) : data);
        if (gzip)
        {
            // Wrong magic of the gzip layer, content that is gzip twice, and a bare deflate stream.
            yield return ("gzip-method=7", With(stored, b => b[2] = 7));
            yield return ("gzip-twice", Gzip(stored));
            yield return ("gzip-flags=all", With(stored, b => b[3] = 0xFF));
            yield return ("gzip-isize=max", With(stored, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(b.Length - 4), uint.MaxValue)));
            yield return ("gzip-of-empty", Gzip([]));
        }
        else
        {
            yield return ("gzip-of-gzip-magic-only", [0x1F, 0x8B]);
            yield return ("gzip-magic-only-3", [0x1F, 0x8B, 0x08]);
        }
    }

    [Theory]
    [InlineData(false, 250)]
    [InlineData(true, 300)]
    public void IdxImagesFuzz(bool gzip, int floor)
    {
        var fuzz = new Fuzz(gzip ? "idx-images.gz" : "idx-images", typeof(DataFormatException));
        foreach (var (label, data) in IdxCases(IdxImagesFile(), rank: 3, gzip, seed: gzip ? 1103 : 1101))
            RunFile(fuzz, label, data, gzip ? "-images.gz" : "-images.idx", path =>
            {
                var img = Idx.ReadImages(path);
                return (img.Count, img.Rows, img.Cols, img.Pixels.Length) == (IdxCount, IdxRows, IdxCols, IdxCount * IdxRows * IdxCols)
                    ? null : $"shape {img.Count}×{img.Rows}×{img.Cols} with {img.Pixels.Length} pixels";
            }, mustLoad: label == "valid");
        fuzz.Report(output, floor);
    }

    [Theory]
    [InlineData(false, 180)]
    [InlineData(true, 240)]
    public void IdxLabelsFuzz(bool gzip, int floor)
    {
        var fuzz = new Fuzz(gzip ? "idx-labels.gz" : "idx-labels", typeof(DataFormatException));
        foreach (var (label, data) in IdxCases(IdxLabelsFile(), rank: 1, gzip, seed: gzip ? 1203 : 1201))
            RunFile(fuzz, label, data, gzip ? "-labels.gz" : "-labels.idx", path =>
            {
                var labels = Idx.ReadLabels(path);
                return labels.Length == IdxLabelCount && labels.All(l => l <= 9) ? null : $"{labels.Length} labels, max {labels.DefaultIfEmpty().Max()}";
            }, mustLoad: label == "valid");
        fuzz.Report(output, floor);
    }

    // ---------------------------------------------------------------- CIFAR-10 binary

    const int BinRecords = 3;

    static string[] BinFiles => [.. Cifar10Binary.TrainFiles, Cifar10Binary.TestFile];

    // Record r of file f: label (f + r) % 10, pixel p = (f * 7 + r * 3 + p) % 251.
    static byte[] BinBatch(int file)
    {
        var data = new byte[BinRecords * Cifar10Binary.RecordBytes];
        for (int r = 0; r < BinRecords; r++)
        {
            data[r * Cifar10Binary.RecordBytes] = (byte)((file + r) % 10);
            for (int p = 0; p < Cifar10Split.ImageBytes; p++) data[r * Cifar10Binary.RecordBytes + 1 + p] = (byte)((file * 7 + r * 3 + p) % 251);
        }
        return data;
    }

    [Fact]
    public void Cifar10BinaryBatchFuzz()
    {
        const int floor = 350;
        var fuzz = new Fuzz("cifar10-binary", typeof(DatasetException));
        string folder = _dir.File(Cifar10Binary.ArchiveFolder);
        Directory.CreateDirectory(folder);
        var originals = Enumerable.Range(0, BinFiles.Length).Select(BinBatch).ToArray();
        for (int f = 0; f < BinFiles.Length; f++) File.WriteAllBytes(Path.Combine(folder, BinFiles[f]), originals[f]);

        // The mutated file rotates through the six, so every file is fuzzed and the message must name that one:
        // case k applies the k-th byte mutation (same offsets and masks for every file) to file k mod 6.
        var mutations = originals.Select(o => ByteMutations(o, header: 32, seed: 1301, bodyCuts: 60, bodyFlips: 120).ToList()).ToArray();
        IEnumerable<(string Label, int File, byte[] Data)> Cases()
        {
            const int rb = Cifar10Binary.RecordBytes;
            yield return ("valid", 0, originals[0]);
            for (int k = 0; k < mutations[0].Count; k++)
            {
                int f = k % BinFiles.Length;
                yield return (mutations[f][k].Label, f, mutations[f][k].Data);
            }
            // Each record's "header" (its label byte): every bit, and out-of-range labels.
            for (int r = 0; r < BinRecords; r++)
            {
                for (int bit = 0; bit < 8; bit++) yield return ($"record{r}-label^{1 << bit:x2}", r % 6, Flip(originals[r % 6], r * rb, (byte)(1 << bit)));
                foreach (byte v in new byte[] { 10, 11, 0x7F, 0x80, 0xFF })
                    yield return ($"record{r}-label={v}", 5 - r, With(originals[5 - r], b => b[r * rb] = v));
            }
            // Cuts and extensions at the record boundaries.
            for (int r = 1; r <= BinRecords; r++)
                foreach (int d in new[] { -1, 1 })
                    if (r * rb + d < originals[1].Length) yield return ($"cut@{r * rb + d}", 1, originals[1][..(r * rb + d)]);
            yield return ("one-record-less", 2, originals[2][..(2 * rb)]);
            yield return ("one-record-more", 3, [.. originals[3], .. originals[3][..rb]]);
            yield return ("one-byte-more", 4, [.. originals[4], 0]);
            // Not a batch at all ("wrong magic": the format has none, so other formats stand in).
            yield return ("gzipped-batch", 0, Gzip(originals[0]));
            yield return ("idx-file", 5, IdxImagesFile());
            yield return ("png-file", 4, Cifar10ImageFolderTests.Encode(32, 32, (x, y) => new Rgb24((byte)x, (byte)y, 0)));
            yield return ("text", 3, Encoding.UTF8.GetBytes("<html>404 Not Found</html>\n"));
        }

        foreach (var (label, f, data) in Cases())
        {
            string path = Path.Combine(folder, BinFiles[f]);
            File.WriteAllBytes(path, data);
            fuzz.Run($"{BinFiles[f]}:{label}", path, () =>
            {
                var (train, test) = Cifar10Binary.Load(folder, BinRecords);
                return train.Count == 5 * BinRecords && test.Count == BinRecords && train.Images.Length == train.Count * Cifar10Split.ImageBytes
                    && test.Images.Length == test.Count * Cifar10Split.ImageBytes ? null : $"{train.Count} + {test.Count} images";
            }, mustLoad: label == "valid");
            File.WriteAllBytes(path, originals[f]);
        }
        fuzz.Report(output, floor);
    }

    // ---------------------------------------------------------------- tar headers

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

    // ---------------------------------------------------------------- CIFAR-10 image tree

    static Rgb24 Pattern(int k, int x, int y) => new((byte)(k * 10 + x), (byte)((k * 5 + y * 7) % 256), (byte)((x * y + k) % 256));

    static byte[] Png(int k) => Cifar10ImageFolderTests.Encode(32, 32, (x, y) => Pattern(k, x, y));

    static byte[] Jpeg(int k) => Cifar10ImageFolderTests.Encode(32, 32, (x, y) => Pattern(k, x, y), jpeg: true);

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
                yield return ("idx-file", IdxImagesFile(), true);
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

    // ---------------------------------------------------------------- single images (ImageGuard)

    static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>PNG chunks as (offset of the length field, data length, type).</summary>
    static List<(int At, int Length, string Type)> PngChunks(byte[] png)
    {
        var chunks = new List<(int, int, string)>();
        for (int at = 8; at + 12 <= png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            chunks.Add((at, length, Encoding.ASCII.GetString(png, at + 4, 4)));
            at += 12 + length;
        }
        return chunks;
    }

    /// <summary>PNG header fields set to wrong and huge values, with the chunk CRC recomputed.</summary>
    static IEnumerable<(string Label, byte[] Data)> PngFieldMutations(byte[] png)
    {
        byte[] Ihdr(Action<byte[]> change) => With(png, b =>
        {
            change(b);
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(29), Crc32(b.AsSpan(12, 17)));
        });
        foreach (int v in HugeInts.Append(31).Append(33).Append(9000))
        {
            yield return ($"width={v}", Ihdr(b => BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(16), v)));
            yield return ($"height={v}", Ihdr(b => BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(20), v)));
            yield return ($"size={v}²", Ihdr(b => { BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(16), v); BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(20), v); }));
        }
        foreach (byte v in new byte[] { 0, 1, 2, 3, 4, 5, 16, 255 }) yield return ($"bitdepth={v}", Ihdr(b => b[24] = v));
        foreach (byte v in new byte[] { 0, 1, 3, 4, 6, 7, 255 }) yield return ($"colortype={v}", Ihdr(b => b[25] = v));
        foreach (byte v in new byte[] { 1, 255 }) yield return ($"compression={v}", Ihdr(b => b[26] = v));
        foreach (byte v in new byte[] { 1, 255 }) yield return ($"filter={v}", Ihdr(b => b[27] = v));
        foreach (byte v in new byte[] { 1, 2, 255 }) yield return ($"interlace={v}", Ihdr(b => b[28] = v));
        yield return ("signature=jpeg", With(png, b => { b[0] = 0xFF; b[1] = 0xD8; }));
        yield return ("signature=zero", With(png, b => b.AsSpan(0, 8).Clear()));

        // Chunk length fields: huge, negative, off by one (the CRC then misses too, as in a real file).
        foreach (var (at, length, type) in PngChunks(png))
            foreach (int v in new[] { 0, length - 1, length + 1, 0x7FFFFFFF, -1, 0x10000000, 0x20000000 }.Distinct().Where(v => v != length))
                yield return ($"{type}-length={v}", With(png, b => BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(at), v)));
        var idat = PngChunks(png).First(c => c.Type == "IDAT");
        yield return ("IDAT-type=IDAx", With(png, b => b[idat.At + 7] = (byte)'x'));
        yield return ("IDAT-removed", [.. png[..idat.At], .. png[(idat.At + 12 + idat.Length)..]]);
        yield return ("IDAT-twice", [.. png[..(idat.At + 12 + idat.Length)], .. png[idat.At..]]);
        yield return ("IEND-removed", png[..^12]);
    }

    /// <summary>JPEG segments before the scan data as (offset of the marker, marker, segment length); the last is SOS.</summary>
    static List<(int At, byte Marker, int Length)> JpegSegments(byte[] jpeg)
    {
        var segments = new List<(int, byte, int)>();
        for (int at = 2; at + 4 <= jpeg.Length;)
        {
            byte marker = jpeg[at + 1];
            int length = (jpeg[at + 2] << 8) | jpeg[at + 3];
            segments.Add((at, marker, length));
            if (marker == 0xDA) break;
            at += 2 + length;
        }
        return segments;
    }

    /// <summary>JPEG header fields set to wrong and huge values: frame size, components, precision, segment lengths.</summary>
    static IEnumerable<(string Label, byte[] Data)> JpegFieldMutations(byte[] jpeg)
    {
        var segments = JpegSegments(jpeg);
        var sof = segments.First(s => s.Marker is 0xC0 or 0xC1 or 0xC2);
        int f = sof.At + 4; // precision, height (2), width (2), components
        foreach (int v in new[] { 0, 1, 31, 33, 9000, 16385, 0xFFFF })
        {
            yield return ($"width={v}", With(jpeg, b => { b[f + 3] = (byte)(v >> 8); b[f + 4] = (byte)v; }));
            yield return ($"height={v}", With(jpeg, b => { b[f + 1] = (byte)(v >> 8); b[f + 2] = (byte)v; }));
            yield return ($"size={v}²", With(jpeg, b => { b[f + 1] = b[f + 3] = (byte)(v >> 8); b[f + 2] = b[f + 4] = (byte)v; }));
        }
        foreach (byte v in new byte[] { 0, 1, 2, 4, 12, 16, 255 }) yield return ($"precision={v}", With(jpeg, b => b[f] = v));
        foreach (byte v in new byte[] { 0, 1, 2, 4, 255 }) yield return ($"components={v}", With(jpeg, b => b[f + 5] = v));
        yield return ("sampling=0", With(jpeg, b => b[f + 7] = 0));
        yield return ("sampling=ff", With(jpeg, b => b[f + 7] = 0xFF));
        yield return ("quant-table=ff", With(jpeg, b => b[f + 8] = 0xFF));
        foreach (var (at, marker, length) in segments)
        {
            foreach (int v in new[] { 0, 1, 2, length - 1, length + 1, 0xFFFF }.Distinct().Where(v => v != length))
                yield return ($"seg{marker:X2}@{at}-length={v}", With(jpeg, b => { b[at + 2] = (byte)(v >> 8); b[at + 3] = (byte)v; }));
            yield return ($"seg{marker:X2}@{at}-removed", [.. jpeg[..at], .. jpeg[(at + 2 + length)..]]);
        }
        yield return ("soi=png", With(jpeg, b => { b[0] = 0x89; b[1] = (byte)'P'; }));
        yield return ("eoi-removed", jpeg[..^2]);
        yield return ("sof=progressive", With(jpeg, b => b[sof.At + 1] = 0xC2));
        yield return ("sof=lossless", With(jpeg, b => b[sof.At + 1] = 0xC3));
        yield return ("sof=arithmetic", With(jpeg, b => b[sof.At + 1] = 0xC9));
    }

    [Theory]
    [InlineData("png", 500)]
    [InlineData("jpeg", 2500)]
    public void ImageGuardFuzz(string kind, int floor)
    {
        var fuzz = new Fuzz($"image-guard-{kind}", typeof(DatasetException));
        bool png = kind == "png";
        byte[] valid = png ? Png(6) : Jpeg(6);
        // The header: signature + IHDR + the next chunk's length and type; for JPEG everything up to the scan data.
        int header = 8 + 25 + 8;
        if (!png)
        {
            var sos = JpegSegments(valid)[^1];
            header = sos.At + 2 + sos.Length;
        }
        var cases = new List<(string, byte[])> { ("valid", valid) };
        cases.AddRange(ByteMutations(valid, header, seed: png ? 1501 : 1502, bodyCuts: 48, bodyFlips: 200));
        cases.AddRange(png ? PngFieldMutations(valid) : JpegFieldMutations(valid));
        cases.Add(("other-format", IdxImagesFile()));
        cases.Add(("gzipped", Gzip(valid)));
        int k = 0;
        foreach (var (label, data) in cases)
        {
            string name = $"fuzz/{k++:D4}.{kind}";
            fuzz.Run(label, name, () =>
            {
                var planes = new byte[Cifar10Split.ImageBytes];
                ImageGuard.DecodePlanes(data, name, 32, 32, planes);
                using var image = ImageGuard.DecodeRgb24(data, name);
                return image.Width == 32 && image.Height == 32 ? null : $"decoded as {image.Width}×{image.Height}";
            }, mustLoad: label == "valid");
        }
        fuzz.Report(output, floor);
    }

    // ---------------------------------------------------------------- safetensors

    static readonly (string Name, int[] Shape, float[] Data)[] Tensors =
    [
        ("fc1.weight", [2, 3], [1, -2, 3.5f, float.MaxValue, -0f, 1e-30f]),
        ("fc1.bias", [2], [0.25f, -0.5f]),
        ("scalar", [], [7f]),
        ("empty", [0, 4], []),
    ];

    /// <summary>A safetensors file with the given header JSON (padded with spaces to 8 bytes) and data bytes.</summary>
    static byte[] SafeTensorsFile(string json, byte[] data, ulong? declared = null)
    {
        var h = Encoding.UTF8.GetBytes(json);
        int pad = (8 - h.Length % 8) % 8;
        var b = new byte[8 + h.Length + pad + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(b, declared ?? (ulong)(h.Length + pad));
        h.CopyTo(b, 8);
        b.AsSpan(8 + h.Length, pad).Fill((byte)' ');
        data.CopyTo(b, 8 + h.Length + pad);
        return b;
    }

    /// <summary>Header mutations: the length field, then JSON values replaced by wrong types, huge and negative numbers.</summary>
    static IEnumerable<(string Label, byte[] Data)> SafeTensorsFieldMutations(byte[] valid)
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(valid);
        string json = Encoding.UTF8.GetString(valid, 8, (int)n).TrimEnd(' ');
        byte[] data = valid[(8 + (int)n)..];

        ulong size = (ulong)valid.Length;
        foreach (ulong v in new ulong[] { 0, 1, 2, n - 1, n + 1, n + 8, size - 8, size - 7, size, (ulong)SafeTensors.MaxHeaderBytes, (ulong)SafeTensors.MaxHeaderBytes + 1,
                     int.MaxValue, 0x80000000UL, uint.MaxValue, 1UL << 63, ulong.MaxValue }.Distinct().Where(v => v != n))
            yield return ($"length={v}", With(valid, b => BinaryPrimitives.WriteUInt64LittleEndian(b, v)));

        // (what to find in the header, what to put instead); each must occur in the header as written.
        var w = "\"fc1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}";
        var replacements = new (string From, string To)[]
        {
            ("\"dtype\":\"F32\"", "\"dtype\":\"F16\""),
            ("\"dtype\":\"F32\"", "\"dtype\":\"f32\""),
            ("\"dtype\":\"F32\"", "\"dtype\":5"),
            ("\"dtype\":\"F32\"", "\"dtype\":null"),
            ("\"dtype\":\"F32\",", ""),
            ("\"shape\":[2,3]", "\"shape\":[2147483647,3]"),
            ("\"shape\":[2,3]", "\"shape\":[2147483647,2147483647]"),
            ("\"shape\":[2,3]", "\"shape\":[65536,65536]"),
            ("\"shape\":[2,3]", "\"shape\":[2147483648,3]"),
            ("\"shape\":[2,3]", "\"shape\":[9223372036854775807,3]"),
            ("\"shape\":[2,3]", "\"shape\":[-1,3]"),
            ("\"shape\":[2,3]", "\"shape\":[-1,-6]"),
            ("\"shape\":[2,3]", "\"shape\":[2.5,3]"),
            ("\"shape\":[2,3]", "\"shape\":[6e0,1]"),
            ("\"shape\":[2,3]", "\"shape\":[\"2\",3]"),
            ("\"shape\":[2,3]", "\"shape\":[null,3]"),
            ("\"shape\":[2,3]", "\"shape\":[[2],3]"),
            ("\"shape\":[2,3]", "\"shape\":[{},3]"),
            ("\"shape\":[2,3]", "\"shape\":[2,0]"),
            ("\"shape\":[2,3]", "\"shape\":6"),
            ("\"shape\":[2,3]", "\"shape\":\"2x3\""),
            ("\"shape\":[2,3]", "\"shape\":null"),
            ("\"shape\":[2,3]", "\"shape\":{\"0\":2}"),
            ("\"shape\":[2,3],", ""),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0,8589934588]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0,9223372036854775807]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[9223372036854775807,9223372036854775807]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[-9223372036854775808,24]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[-24,0]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[24,0]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0,18446744073709551615]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0,1e300]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0.5,24]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[null,24]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0,null]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[\"0\",\"24\"]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[true,24]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[[0],24]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[{},24]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0,24,48]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":{\"begin\":0,\"end\":24}"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":\"0-24\""),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":null"),
            ("\"data_offsets\":[24,32]", "\"data_offsets\":[20,28]"),
            ("\"data_offsets\":[24,32]", "\"data_offsets\":[0,8]"),
            (w, "\"fc1.weight\":5"),
            (w, "\"fc1.weight\":null"),
            (w, "\"fc1.weight\":[]"),
            (w, "\"fc1.weight\":\"F32\""),
            (w, "\"fc1.weight\":{}"),
            ("\"fc1.bias\"", "\"fc1.weight\""),
            ("\"fc1.bias\"", "\"__metadata__\""),
            ("\"fc1.bias\"", "\"\\ud800\""),
            ("\"fc1.bias\"", "\"\\udc00\\ud800\""),
            ("\"fc1.bias\"", "\"fc1\\u0000bias\""),
            ("\"fc1.bias\"", "\"fc1\\q\""),
            ("\"epoch\":\"3\"", "\"epoch\":3"),
            ("\"epoch\":\"3\"", "\"epoch\":null"),
            ("\"epoch\":\"3\"", "\"epoch\":{\"a\":\"b\"}"),
            ("\"epoch\":\"3\"", "\"epoch\":\"\\ud800\""),
            ("\"epoch\":\"3\"", "\"epoch\":" + new string('[', 100) + new string(']', 100)),
            ("\"__metadata__\":{", "\"__metadata__\":5,\"x\":{"),
            ("\"__metadata__\":{", "\"__metadata__\":[],\"x\":{"),
            ("\"__metadata__\":{", "\"__metadata__\":null,\"x\":{"),
        };
        int k = 0;
        foreach (var (from, to) in replacements)
        {
            int at = json.IndexOf(from, StringComparison.Ordinal);
            Assert.True(at >= 0, $"the test expects {from} in the header {json}");
            yield return ($"json{k++}:{to}", SafeTensorsFile(json[..at] + to + json[(at + from.Length)..], data));
        }
        foreach (string root in new[] { "", "[]", "5", "null", "\"x\"", "{", "}", "{\"a\":1}{", "\uFEFF" + json, new string('{', 2000) })
            yield return ($"root={(root.Length > 8 ? root[..8] + "…" : root)}", SafeTensorsFile(root, data));
        yield return ("header-invalid-utf8", With(valid, b => { b[10] = 0xC3; b[11] = 0x28; }));
        yield return ("header-nul", With(valid, b => b[12] = 0));
        yield return ("data-removed", valid[..(8 + (int)n)]);
    }

    [Fact]
    public void SafeTensorsFuzz()
    {
        const int floor = 1350;
        var fuzz = new Fuzz("safetensors", typeof(CheckpointException));
        string source = _dir.File("valid.safetensors");
        SafeTensors.Write(source, Tensors, new Dictionary<string, string> { ["epoch"] = "3", ["config"] = "{\"lr\": 0.01}" });
        byte[] valid = File.ReadAllBytes(source);
        int header = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);

        var cases = new List<(string, byte[])> { ("valid", valid) };
        cases.AddRange(ByteMutations(valid, header, seed: 1601, bodyCuts: 24, bodyFlips: 64));
        cases.AddRange(SafeTensorsFieldMutations(valid));
        cases.Add(("idx-file", IdxImagesFile()));
        cases.Add(("gzipped", Gzip(valid)));
        foreach (var (label, data) in cases)
            RunFile(fuzz, label, data, ".safetensors", path =>
            {
                // A flip may rename a tensor or reshape an empty one ([0, 4] to [0, 5]) and still be a valid
                // file; what must hold is that every tensor has as many values as its shape and its data span.
                var c = SafeTensors.Read(path);
                if (c.Order.Count != Tensors.Length) return $"{c.Order.Count} tensors";
                for (int i = 0; i < Tensors.Length; i++)
                {
                    var t = c.Tensors[c.Order[i]];
                    if (t.Data.Length != t.Shape.Aggregate(1L, (a, d) => a * d) || t.Data.Length != Tensors[i].Data.Length)
                        return $"tensor {i} '{c.Order[i]}' has shape {SafeTensors.FormatShape(t.Shape)} and {t.Data.Length} values";
                }
                return null;
            }, mustLoad: label == "valid");
        fuzz.Report(output, floor);
    }
}
