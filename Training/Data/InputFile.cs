// The one check every reader makes before it opens a file: a FIFO would block the open (and a
// device such as /dev/zero would be read without end), so only a regular file holding data, and
// no larger than the reader accepts, is opened. The size is read from the file system, not the file.
namespace Activations.Training.Data;

public static class InputFile
{
    /// <summary>Why <paramref name="path"/> must not be read (a phrase to follow "{path}: "), or null when it may.</summary>
    /// <param name="what">What the file should be, for the message ("checkpoint", "IDX file").</param>
    public static string? Problem(string path, long maxBytes, string what)
    {
        if (Directory.Exists(path)) return $"is a directory, not a {what}";
        var info = new FileInfo(path);
        if (!info.Exists) return $"{what} not found";
        // Linux reports size 0 for FIFOs, sockets and character devices: only a regular file has data to read.
        if (info.Length == 0) return "is empty or not a regular file (a FIFO or a device); give a regular file";
        if (info.Length > maxBytes) return $"{info.Length} bytes is larger than any {what} this app reads ({maxBytes >> 20} MiB)";
        return null;
    }
}
