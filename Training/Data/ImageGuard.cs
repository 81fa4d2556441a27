// Decodes untrusted image files safely: the header is identified first and an image that claims to be
// huge is refused before a single pixel buffer is allocated (a "decompression bomb" — a few kilobytes
// that expand to gigabytes), and the decoder itself runs under a Configuration whose memory allocator
// refuses any single buffer over a fixed cap, in case a header lies. Every failure is a one-line
// DatasetException naming the file.
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;

namespace Activations.Training.Data;

public static class ImageGuard
{
    /// <summary>Largest width or height accepted.</summary>
    public const int MaxSide = 16384;

    /// <summary>Largest pixel count accepted (64 MPixel, e.g. 8192×8192).</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    /// <summary>Cap on any one buffer the decoder allocates: 64 MPixel of 8-byte work pixels.</summary>
    public const int AllocationLimitMegabytes = 512;

    /// <summary>
    /// The decoder configuration: ImageSharp's formats, a memory allocator capped at
    /// <see cref="AllocationLimitMegabytes"/> per buffer, and one thread per image (callers decode
    /// many small images in parallel instead).
    /// </summary>
    public static Configuration Configuration { get; } = CreateConfiguration();

    static Configuration CreateConfiguration()
    {
        var c = Configuration.Default.Clone();
        c.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = AllocationLimitMegabytes });
        c.MaxDegreeOfParallelism = 1;
        return c;
    }

    /// <summary>Reads the header only and refuses unknown formats and images over the size limits.</summary>
    /// <param name="name">How errors name the file.</param>
    public static IImageInfo Identify(byte[] data, string name, int maxSide = MaxSide, long maxPixels = MaxPixels)
    {
        IImageInfo? info;
        try { info = Image.Identify(Configuration, data, out _); }
        catch (Exception e) when (IsDecodeError(e))
        {
            throw new DatasetException($"{name}: unreadable image header: {OneLine(e.Message)}", e);
        }
        if (info == null) throw new DatasetException($"{name}: not an image in a known format ({data.Length} bytes)");
        if (info.Width <= 0 || info.Height <= 0 || info.Width > maxSide || info.Height > maxSide || (long)info.Width * info.Height > maxPixels)
            throw new DatasetException($"{name}: image header claims {info.Width}×{info.Height}, over the limit of {maxSide}×{maxSide} and {maxPixels} pixels; refused before decoding");
        return info;
    }

    /// <summary>
    /// Identifies, checks the limits (and the exact size when <paramref name="width"/> and
    /// <paramref name="height"/> are given), then decodes to 8-bit RGB.
    /// </summary>
    public static Image<Rgb24> DecodeRgb24(byte[] data, string name, int? width = null, int? height = null)
    {
        var info = Identify(data, name);
        if ((width != null && info.Width != width) || (height != null && info.Height != height))
            throw new DatasetException($"{name}: image is {info.Width}×{info.Height}, expected {width ?? info.Width}×{height ?? info.Height}");
        Image<Rgb24> image;
        try { image = Image.Load<Rgb24>(Configuration, data); }
        catch (Exception e) when (IsDecodeError(e))
        {
            throw new DatasetException($"{name}: corrupt image: {OneLine(e.Message)}", e);
        }
        if (image.Width != info.Width || image.Height != info.Height)
        {
            var (w, h) = (image.Width, image.Height);
            image.Dispose();
            throw new DatasetException($"{name}: header says {info.Width}×{info.Height} but the image decoded as {w}×{h}");
        }
        return image;
    }

    /// <summary>Decodes and writes the pixels as R, G, B planes (3, H, W) into <paramref name="destination"/>.</summary>
    public static void DecodePlanes(byte[] data, string name, int width, int height, Span<byte> destination)
    {
        if (destination.Length != 3 * width * height) throw new ArgumentException($"destination holds {destination.Length} bytes, need {3 * width * height}");
        using var image = DecodeRgb24(data, name, width, height);
        int plane = width * height;
        Span<Rgb24> pixels = plane <= 4096 ? stackalloc Rgb24[plane] : new Rgb24[plane];
        image.CopyPixelDataTo(pixels);
        var r = destination[..plane];
        var g = destination.Slice(plane, plane);
        var b = destination.Slice(2 * plane, plane);
        for (int i = 0; i < plane; i++)
        {
            r[i] = pixels[i].R;
            g[i] = pixels[i].G;
            b[i] = pixels[i].B;
        }
    }

    // Besides ImageSharp's own exceptions, the ones its decoders are known to throw on corrupt input
    // (e.g. a NullReferenceException from the JPEG decoder on a truncated or flipped header).
    static bool IsDecodeError(Exception e) =>
        e is ImageFormatException or UnknownImageFormatException or InvalidImageContentException or InvalidMemoryOperationException
            or NotSupportedException or InvalidDataException or IndexOutOfRangeException or ArgumentException or EndOfStreamException
            or NullReferenceException;

    static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
