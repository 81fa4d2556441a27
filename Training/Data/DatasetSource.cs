// What `--dataset` names and how each is read: a named IDX set (IdxDatasets), cifar10 (Cifar10Training,
// through TrainingData), `idx:DIR` (any MNIST-layout files) or `folder:DIR` (an image-folder tree). A path after the
// prefix is kept as given except made absolute, so a stored run config still finds it from elsewhere.
namespace Activations.Training.Data;

public static class DatasetSource
{
    public const string IdxPrefix = "idx:", FolderPrefix = "folder:";

    /// <summary>The named data sets, for help texts and messages.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. IdxDatasets.All.Select(d => d.Name), "cifar10"];

    public static string Help { get; } = $"data set: {string.Join(", ", Names)}, {IdxPrefix}DIR (MNIST-layout IDX files) or {FolderPrefix}DIR (train/<class>/*.png|jpg, test/<class>/…)";

    /// <summary>The canonical spelling of a --dataset value: a lower-case name, or the prefix in lower case and the path absolute.</summary>
    public static string Normalise(string value)
    {
        string v = value.Trim();
        foreach (var prefix in new[] { IdxPrefix, FolderPrefix })
        {
            if (!v.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            string path = v[prefix.Length..];
            return string.IsNullOrWhiteSpace(path) ? prefix : prefix + Path.GetFullPath(path);
        }
        return v.ToLowerInvariant();
    }

    /// <summary>Why <paramref name="dataset"/> (normalised) is not a data set this app reads, or null.</summary>
    public static string? Problem(string dataset)
    {
        if (dataset is IdxPrefix or FolderPrefix) return $"'{dataset}' needs a folder after the colon, e.g. {dataset}path/to/data";
        if (IsIdx(dataset, out _) || IsFolder(dataset, out _) || Names.Contains(dataset)) return null;
        return $"unknown data set '{dataset}'; expected one of {string.Join(", ", Names)}, {IdxPrefix}DIR or {FolderPrefix}DIR";
    }

    public static bool IsIdx(string dataset, out string folder) => HasPrefix(dataset, IdxPrefix, out folder);

    public static bool IsFolder(string dataset, out string folder) => HasPrefix(dataset, FolderPrefix, out folder);

    static bool HasPrefix(string dataset, string prefix, out string folder)
    {
        folder = dataset.StartsWith(prefix, StringComparison.Ordinal) ? dataset[prefix.Length..] : "";
        return folder.Length > 0;
    }

    /// <summary>A short name for folder names: the data set's name, or "idx-&lt;folder&gt;" / "folder-&lt;folder&gt;".</summary>
    public static string Label(string dataset) =>
        IsIdx(dataset, out var d) ? "idx-" + Path.GetFileName(d.TrimEnd('/', '\\'))
        : IsFolder(dataset, out var f) ? "folder-" + Path.GetFileName(f.TrimEnd('/', '\\'))
        : dataset;

    /// <summary>Finds (copying or downloading a named set if needed) and reads any data set but cifar10 (TrainingData.Load reads that).</summary>
    /// <param name="imageSize">folder: only: the side images are brought to (null: the size rule of ImageFolderDataset).</param>
    public static MnistDataset Read(string dataset, DatasetLocator locator, int limitTrain, int limitTest, int? imageSize = null, Action<string>? log = null)
    {
        if (IsIdx(dataset, out var idxFolder)) return MnistDataset.Load(idxFolder, null, limitTrain, limitTest);
        if (IsFolder(dataset, out var root)) return ImageFolderDataset.Load(root, imageSize, limitTrain, limitTest, log);
        var set = IdxDatasets.Find(dataset) ?? throw new DatasetException(Problem(dataset)!);
        return MnistDataset.Load(locator.EnsureIdx(set), set, limitTrain, limitTest);
    }
}
