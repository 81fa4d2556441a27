// Files that a killed run or other workers on a shared folder (NFS included) may see half-done:
// - Write replaces a file so that a reader sees either the old content or the whole new one: the
//   content goes to a temporary file beside the target, which is then renamed over it.
// - CreateNew creates a file only if it does not exist, atomically, so that of several workers
//   exactly one wins (claims, grid.json): a hard link of a finished temporary file, which fails when
//   the target exists (File.Move without overwrite checks and then renames, so two could both win).
// - ReadAllText, ReadAllLines and AppendLocked retry briefly while another worker causes a transient
//   IOException: its exclusive lock on an appended log, or (NFS) a handle gone stale by its replace.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Activations.Training;

public static class AtomicFile
{
    /// <summary>How long a shared file is retried while another worker holds it or replaces it.</summary>
    public static readonly TimeSpan RetryFor = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>; <paramref name="flushToDisk"/>
    /// syncs the data before the rename (for files a crash must not lose, e.g. checkpoints), and
    /// <paramref name="check"/> may reject the finished temporary file (by throwing) before it replaces the target.
    /// </summary>
    public static void Write(string path, Action<Stream> write, bool flushToDisk, Action<string>? check = null)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = WriteTemporary(full, write, flushToDisk);
        try
        {
            check?.Invoke(tmp);
            Retry(() => File.Move(tmp, full, overwrite: true));
        }
        finally
        {
            DeleteQuietly(tmp);
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark).</summary>
    public static void WriteText(string path, string text, bool flushToDisk) =>
        Write(path, s => s.Write(Encoding.UTF8.GetBytes(text)), flushToDisk);

    /// <summary>Copies <paramref name="source"/> to <paramref name="target"/>; <paramref name="check"/> as for <see cref="Write"/>.</summary>
    public static void Copy(string source, string target, bool flushToDisk, Action<string>? check = null)
    {
        Write(target, s =>
        {
            using var from = File.OpenRead(source);
            from.CopyTo(s);
        }, flushToDisk, check);
    }

    /// <summary>
    /// Creates <paramref name="path"/> with <paramref name="content"/> only if it does not exist, whole
    /// or not at all; false when it existed, e.g. another process created it first. Where the file
    /// system has no hard links, the target is created with create-new (O_EXCL) and then filled, so a
    /// reader may briefly find it empty.
    /// </summary>
    public static bool CreateNew(string path, byte[] content, bool flushToDisk = false)
    {
        string full = Path.GetFullPath(path);
        string tmp = WriteTemporary(full, s => s.Write(content), flushToDisk);
        try
        {
            if (OperatingSystem.IsWindows())
            {
                try { File.Move(tmp, full, overwrite: false); return true; } // MoveFileEx without replace is atomic there
                catch (IOException) when (File.Exists(full)) { return false; }
            }
            if (Link(tmp, full) == 0) return true;
            int error = Marshal.GetLastPInvokeError();
            if (error == FileExistsErrno) return false;
            return CreateExclusive(full, content, flushToDisk);
        }
        finally
        {
            DeleteQuietly(tmp);
        }
    }

    /// <summary><see cref="CreateNew(string, byte[], bool)"/> of <paramref name="text"/> as UTF-8.</summary>
    public static bool CreateNew(string path, string text) => CreateNew(path, Encoding.UTF8.GetBytes(text));

    /// <summary>File.ReadAllText, retried while another worker makes it fail for a moment.</summary>
    public static string ReadAllText(string path) => Retry(() => File.ReadAllText(path));

    /// <summary>File.ReadAllLines, retried while another worker makes it fail for a moment (e.g. appends under <see cref="AppendLocked"/>).</summary>
    public static string[] ReadAllLines(string path) => Retry(() => File.ReadAllLines(path));

    /// <summary>
    /// Appends <paramref name="text"/> (UTF-8) to <paramref name="path"/> under an exclusive lock (flock
    /// on Unix, retried while another worker holds it): .NET writes at its own offset, not with O_APPEND,
    /// so concurrent appenders must take turns.
    /// </summary>
    public static void AppendLocked(string path, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Retry(() =>
        {
            using var log = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
            log.Seek(0, SeekOrigin.End);
            log.Write(bytes);
        });
    }

    /// <summary>
    /// Runs <paramref name="io"/>, again and again for up to <see cref="RetryFor"/> while it throws an
    /// IOException other than a missing file or folder (those are answers, not contention).
    /// </summary>
    public static T Retry<T>(Func<T> io)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try { return io(); }
            catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException && clock.Elapsed < RetryFor)
            {
                Thread.Sleep(5 + Random.Shared.Next(20));
            }
        }
    }

    /// <inheritdoc cref="Retry{T}(Func{T})"/>
    public static void Retry(Action io) => Retry(() => { io(); return true; });

    private static string WriteTemporary(string full, Action<Stream> write, bool flushToDisk)
    {
        string tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            write(fs);
            fs.Flush(flushToDisk);
        }
        catch
        {
            DeleteQuietly(tmp);
            throw;
        }
        return tmp;
    }

    private static void DeleteQuietly(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort */ }
    }

    private const int FileExistsErrno = 17; // EEXIST on Linux, macOS and the BSDs
    private const int FileExistsHResult = unchecked((int)0x80070050);

    /// <summary>Create-new (O_CREAT | O_EXCL) of the target itself, then its content: the fallback without hard links.</summary>
    private static bool CreateExclusive(string full, byte[] content, bool flushToDisk)
    {
        FileStream fs;
        try { fs = new FileStream(full, FileMode.CreateNew, FileAccess.Write, FileShare.Read); }
        // "Already exists": its creator may have deleted it again before we look, so judge by the error too.
        catch (IOException e) when (File.Exists(full) || e.HResult == FileExistsHResult || e.Message.Contains("already exists", StringComparison.Ordinal)) { return false; }
        using (fs)
        {
            fs.Write(content);
            fs.Flush(flushToDisk);
        }
        return true;
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string created);
}
