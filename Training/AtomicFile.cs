// Writes a file so that a reader (or a run killed mid-write) sees either the old content or the
// whole new one, never half: the content goes to a temporary file beside the target, which is then
// renamed over it. The temporary file is removed when writing fails.
using System.Text;

namespace Activations.Training;

public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>; <paramref name="flushToDisk"/>
    /// syncs the data before the rename (for files a crash must not lose, e.g. checkpoints), and
    /// <paramref name="check"/> may reject the finished temporary file (by throwing) before it replaces the target.
    /// </summary>
    public static void Write(string path, Action<Stream> write, bool flushToDisk, Action<string>? check = null)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(fs);
                fs.Flush(flushToDisk);
            }
            check?.Invoke(tmp);
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort */ }
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark).</summary>
    public static void WriteText(string path, string text, bool flushToDisk) =>
        Write(path, s => s.Write(Encoding.UTF8.GetBytes(text)), flushToDisk);

    /// <summary>Copies <paramref name="source"/> to <paramref name="target"/>.</summary>
    public static void Copy(string source, string target, bool flushToDisk)
    {
        Write(target, s =>
        {
            using var from = File.OpenRead(source);
            from.CopyTo(s);
        }, flushToDisk);
    }

    /// <summary>
    /// Creates <paramref name="path"/> with <paramref name="text"/> only if it does not exist, whole or
    /// not at all (a rename that refuses to overwrite); false when it existed, e.g. another process
    /// created it first.
    /// </summary>
    public static bool CreateNew(string path, string text)
    {
        string full = Path.GetFullPath(path);
        string tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(tmp, text);
        try
        {
            File.Move(tmp, full, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(full))
        {
            return false;
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
