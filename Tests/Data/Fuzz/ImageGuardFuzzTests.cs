// Fuzzing of the reader of single images checked by ImageGuard: the mutations and the harness are in ReaderFuzz.cs.
using System.Buffers.Binary;
using System.Text;
using Activations.Training.Data;
using Xunit.Abstractions;

namespace Activations.Tests.Data;

public sealed class ImageGuardFuzzTests(ITestOutputHelper output) : ReaderFuzz
{
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
        byte[] valid = png ? TarArchiveFuzzTests.Png(6) : TarArchiveFuzzTests.Jpeg(6);
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
        cases.Add(("other-format", IdxFuzzTests.IdxImagesFile()));
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
}
