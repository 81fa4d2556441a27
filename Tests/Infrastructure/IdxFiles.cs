// Small IDX and gzip files written in memory, for the readers' and data sets' tests.
using System.Buffers.Binary;
using System.IO.Compression;
using Activations.Training.Data;

namespace Activations.Tests.Infrastructure;

public static class IdxFiles
{
    /// <summary>An IDX image file; <paramref name="declaredCount"/> lets a header lie about the count.</summary>
    public static byte[] Images(int count, int rows, int cols, Func<int, int, byte>? pixel = null, int magic = Idx.ImagesMagic, int? declaredCount = null)
    {
        var b = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(b, magic);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), declaredCount ?? count);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(12), cols);
        for (int i = 0; i < count; i++)
            for (int p = 0; p < rows * cols; p++)
            {
                int at = 16 + i * rows * cols + p;
                b[at] = pixel is null ? (byte)(at * 7) : pixel(i, p);
            }
        return b;
    }

    public static byte[] Labels(params byte[] labels)
    {
        var b = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(b, Idx.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), labels.Length);
        labels.CopyTo(b, 8);
        return b;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal)) gz.Write(data);
        return ms.ToArray();
    }
}
