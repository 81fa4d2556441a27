// Fuzzing of the reader of IDX files (MNIST images and labels, raw and gzipped): the mutations and the harness are in ReaderFuzz.cs.
using System.Buffers.Binary;
using Activations.Training.Data;
using Xunit.Abstractions;

namespace Activations.Tests.Data;

public sealed class IdxFuzzTests(ITestOutputHelper output) : ReaderFuzz
{
    const int IdxCount = 4, IdxRows = 7, IdxCols = 9, IdxLabelCount = 40;

    internal static byte[] IdxImagesFile()
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

    static string? LoadImages(string path)
    {
        var img = Idx.ReadImages(path);
        return (img.Count, img.Rows, img.Cols, img.Pixels.Length) == (IdxCount, IdxRows, IdxCols, IdxCount * IdxRows * IdxCols)
            ? null : $"shape {img.Count}×{img.Rows}×{img.Cols} with {img.Pixels.Length} pixels";
    }

    static string? LoadLabels(string path)
    {
        var labels = Idx.ReadLabels(path);
        return labels.Length == IdxLabelCount && labels.All(l => l <= 9) ? null : $"{labels.Length} labels, max {labels.DefaultIfEmpty().Max()}";
    }

    [Theory]
    [InlineData("images", false, 250)]
    [InlineData("images", true, 300)]
    [InlineData("labels", false, 180)]
    [InlineData("labels", true, 240)]
    public void IdxFuzz(string file, bool gzip, int floor)
    {
        bool images = file == "images";
        var fuzz = new Fuzz(gzip ? $"idx-{file}.gz" : $"idx-{file}", typeof(DataFormatException));
        int seed = (images ? 1101 : 1201) + (gzip ? 2 : 0);
        foreach (var (label, data) in IdxCases(images ? IdxImagesFile() : IdxLabelsFile(), rank: images ? 3 : 1, gzip, seed))
            RunFile(fuzz, label, data, gzip ? $"-{file}.gz" : $"-{file}.idx", images ? LoadImages : LoadLabels, mustLoad: label == "valid");
        fuzz.Report(output, floor);
    }
}
