// `--dataset folder:DIR`: an image-folder tree as torchvision's ImageFolder reads it, one for each
// split: DIR/train/<class>/*.png|jpg and DIR/test/<class>/*.png|jpg. Class names are the train/
// folder's subfolder names in ordinal order (label 0 = the first); test/ must have the same set.
//
// Size rule: --image-size N makes every image N×N (resized so its shorter side is N, then centre-
// cropped, like torchvision's Resize(N) + CenterCrop(N)); without it, images that all share one size
// keep it, and mixed sizes go to 32×32 the same way. Channels: 1 when every pixel of every image has
// R = G = B (greyscale, whatever the file format), else 3 (RGB). Normalisation: per channel, the mean
// (and, unless the channel is constant, the standard deviation) of all training images' pixels / 255,
// also under a limit, so that a limited run and a full one normalise alike. Limits keep the first N/K
// images of each of the K classes (file names in ordinal order).
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Activations.Training.Data;

public static class ImageFolderDataset
{
    /// <summary>Size used for mixed-size images when no --image-size is given.</summary>
    public const int DefaultSide = 32;

    /// <summary>Largest --image-size accepted.</summary>
    public const int MaxSide = 1024;

    static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    public const string Layout = "DIR/train/<class>/*.png|jpg and DIR/test/<class>/*.png|jpg, as torchvision's ImageFolder";

    /// <summary>Reads both splits of the tree at <paramref name="root"/>.</summary>
    public static MnistDataset Load(string root, int? imageSize = null, int limitTrain = 0, int limitTest = 0, Action<string>? log = null)
    {
        if (!Directory.Exists(root)) throw new DatasetException($"{root}: no such folder (folder: expects {Layout})");
        string trainDir = Path.Combine(root, "train"), testDir = Path.Combine(root, "test");
        if (!Directory.Exists(trainDir) || !Directory.Exists(testDir))
            throw new DatasetException($"{root}: has no {(Directory.Exists(trainDir) ? "test/" : "train/")} folder; folder: expects {Layout}");
        string[] classes = ClassFolders(trainDir);
        if (classes.Length == 0) throw new DatasetException($"{trainDir}: no class folders; folder: expects {Layout}");
        if (classes.Length > 256) throw new DatasetException($"{trainDir}: {classes.Length} class folders, more than the 256 this app supports");
        string[] testClasses = ClassFolders(testDir);
        if (!testClasses.SequenceEqual(classes))
        {
            var missing = classes.Except(testClasses).ToList();
            var extra = testClasses.Except(classes).ToList();
            throw new DatasetException($"{testDir}: its class folders differ from train/'s" +
                (missing.Count > 0 ? $"; missing: {string.Join(", ", missing)}" : "") + (extra.Count > 0 ? $"; not in train/: {string.Join(", ", extra)}" : ""));
        }
        if (classes.Length < 2) throw new DatasetException($"{trainDir}: only one class folder ({classes[0]}); a classifier needs at least 2");
        var train = ReadFiles(trainDir, classes, 0);
        var test = ReadFiles(testDir, classes, limitTest);
        var sizes = train.Concat(test).Select(f => (f.Info.Width, f.Info.Height)).Distinct().ToList();
        var (w, h) = imageSize is { } n ? (n, n) : sizes.Count == 1 ? sizes[0] : (DefaultSide, DefaultSide);
        var trainPixels = Decode(train, w, h, out bool trainGrey);
        var testPixels = Decode(test, w, h, out bool testGrey);
        int channels = trainGrey && testGrey ? 1 : 3;
        if (channels == 1)
        {
            trainPixels = FirstPlane(trainPixels, train.Count, w * h);
            testPixels = FirstPlane(testPixels, test.Count, w * h);
        }
        var (mean, std) = Statistics(trainPixels, train.Count, channels, w * h, trainDir);
        if (limitTrain > 0)
        {
            var kept = Limit(train, classes.Length, limitTrain);
            trainPixels = kept.SelectMany(i => trainPixels.AsSpan(i * channels * w * h, channels * w * h).ToArray()).ToArray();
            train = kept.Select(i => train[i]).ToList();
        }
        log?.Invoke($"{root}: {train.Count} train / {test.Count} test images, {classes.Length} classes, {channels}×{h}×{w}");
        return new MnistDataset(
            new ImageSplit(Normalise(trainPixels, channels, w * h, mean, std), train.Select(f => (byte)f.Label).ToArray(), channels, h, w, classes.Length) { ClassNames = classes },
            new ImageSplit(Normalise(testPixels, channels, w * h, mean, std), test.Select(f => (byte)f.Label).ToArray(), channels, h, w, classes.Length) { ClassNames = classes });
    }

    static string[] ClassFolders(string dir) =>
        Directory.GetDirectories(dir).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();

    sealed record ImageFile(string Path, int Label, byte[] Bytes, IImageInfo Info);

    /// <summary>Indices of the first ⌈limit/K⌉ files of each class, at most <paramref name="limit"/> in all.</summary>
    static List<int> Limit(List<ImageFile> files, int classes, int limit)
    {
        int perClass = Math.Max(1, (limit + classes - 1) / classes);
        var taken = new int[classes];
        return Enumerable.Range(0, files.Count).Where(i => taken[files[i].Label]++ < perClass).Take(limit).ToList();
    }

    static List<ImageFile> ReadFiles(string splitDir, string[] classes, int limit)
    {
        var files = new List<ImageFile>();
        for (int label = 0; label < classes.Length; label++)
        {
            string classDir = Path.Combine(splitDir, classes[label]);
            var images = Directory.GetFiles(classDir)
                .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToList();
            if (images.Count == 0) throw new DatasetException($"{classDir}: no .png or .jpg images; every class folder needs at least one");
            foreach (var file in images)
            {
                if (InputFile.Problem(file, 64L << 20, "image") is { } problem) throw new DatasetException($"{file}: {problem}");
                byte[] bytes;
                try { bytes = File.ReadAllBytes(file); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new DatasetException($"{file}: cannot be read ({e.Message})", e);
                }
                files.Add(new ImageFile(file, label, bytes, ImageGuard.Identify(bytes, file)));
            }
        }
        return limit > 0 ? Limit(files, classes.Length, limit).Select(i => files[i]).ToList() : files;
    }

    /// <summary>RGB planes (3, h, w) per image; <paramref name="grey"/>: every pixel had R = G = B.</summary>
    static byte[] Decode(List<ImageFile> files, int w, int h, out bool grey)
    {
        int plane = w * h;
        var pixels = new byte[(long)files.Count * 3 * plane];
        int colour = 0, firstError = int.MaxValue;
        Exception? error = null;
        Parallel.For(0, files.Count, i =>
        {
            try
            {
                using var image = ImageGuard.DecodeRgb24(files[i].Bytes, files[i].Path);
                if (image.Width != w || image.Height != h)
                    image.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(w, h), Mode = ResizeMode.Crop, Position = AnchorPositionMode.Center }));
                var rgb = new Rgb24[plane];
                image.CopyPixelDataTo(rgb);
                var dst = pixels.AsSpan(i * 3 * plane, 3 * plane);
                bool isColour = false;
                for (int p = 0; p < plane; p++)
                {
                    dst[p] = rgb[p].R;
                    dst[plane + p] = rgb[p].G;
                    dst[2 * plane + p] = rgb[p].B;
                    isColour |= rgb[p].R != rgb[p].G || rgb[p].G != rgb[p].B;
                }
                if (isColour) Interlocked.Exchange(ref colour, 1);
            }
            catch (DatasetException e)
            {
                // The first bad file in order is reported, so the message does not depend on thread timing.
                lock (files)
                {
                    if (i < firstError) (firstError, error) = (i, e);
                }
            }
        });
        if (error is not null) throw error;
        grey = colour == 0;
        return pixels;
    }

    static byte[] FirstPlane(byte[] rgb, int count, int plane)
    {
        var grey = new byte[(long)count * plane];
        for (int i = 0; i < count; i++) rgb.AsSpan(i * 3 * plane, plane).CopyTo(grey.AsSpan(i * plane, plane));
        return grey;
    }

    static (float[] Mean, float[] Std) Statistics(byte[] pixels, int count, int channels, int plane, string name)
    {
        var mean = new float[channels];
        var std = new float[channels];
        bool contrast = false;
        for (int c = 0; c < channels; c++)
        {
            var histogram = new long[256];
            for (int i = 0; i < count; i++)
                foreach (byte p in pixels.AsSpan((i * channels + c) * plane, plane)) histogram[p]++;
            double n = (double)count * plane, m = 0, v = 0;
            for (int x = 0; x < 256; x++) m += x / 255.0 * histogram[x];
            m /= n;
            for (int x = 0; x < 256; x++) v += (x / 255.0 - m) * (x / 255.0 - m) * histogram[x];
            double s = Math.Sqrt(v / n);
            // A constant channel is only centred: dividing by its zero spread would make every value infinite.
            (mean[c], std[c]) = ((float)m, s > 0 ? (float)s : 1f);
            contrast |= s > 0;
        }
        if (!contrast)
            throw new DatasetException($"{name}: every training pixel has the same value; images without contrast cannot be normalised");
        return (mean, std);
    }

    static float[] Normalise(byte[] pixels, int channels, int plane, float[] mean, float[] std)
    {
        var result = new float[pixels.Length];
        for (long i = 0; i < pixels.Length; i++)
        {
            int c = (int)(i / plane % channels);
            result[i] = (float)((pixels[i] / 255.0 - mean[c]) / std[c]);
        }
        return result;
    }
}
