// The lock of a run folder: <run>/claim.json, created exclusively and whole (AtomicFile.CreateNew) by
// the one process that trains the run, holding its host, pid and a heartbeat time that a timer renews.
// `train`, `train --resume` and every grid worker take it before writing into the folder, so two
// processes never train one run, whether they share a machine or only a network file system.
//
// A claim is stale, and may be taken over, when its heartbeat is older than the lease, or at once
// when it names this host and a pid that is no longer running (or that now belongs to a process
// started later, that is, a reused pid), or when this process is the requeued Slurm task that made
// it. A takeover is serialised by a second create-new file (claim.json.takeover) so that two
// workers finding the same stale claim do not both take it, and it is logged. An unreadable claim
// (on a file system without hard links, its writer died between create and write) ages by its mtime.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Activations.Training.Run;

/// <summary>The content of claim.json.</summary>
public sealed record ClaimInfo
{
    public required string Host { get; init; }
    public required int Pid { get; init; }

    /// <summary>When the claiming process started: tells a reused pid from the claimant.</summary>
    public DateTime ProcessStartUtc { get; init; }

    /// <summary>Unique per claim, so that a holder can tell its own claim from a successor's.</summary>
    public required string Token { get; init; }
    public DateTime ClaimedUtc { get; init; }
    public DateTime HeartbeatUtc { get; init; }
    public string Command { get; init; } = "";

    /// <summary>The Slurm task that ran the claimant and its restart count ("slurm:123_4#0"): a requeued task (a higher count) may take its predecessor's claim at once.</summary>
    public string? Slot { get; init; }

    public string Describe() => $"pid {Pid} on {Host}{(Slot is null ? "" : $" ({Slot})")}";
}

/// <summary>What a folder's claim file says now.</summary>
public enum ClaimState { None, Held, Stale }

/// <summary>The claim of a folder as another process sees it.</summary>
public sealed record ClaimStatus(ClaimState State, ClaimInfo? Info, TimeSpan HeartbeatAge, string? StaleReason)
{
    /// <summary>"pid 12 on node3, heartbeat 4 s ago".</summary>
    public string Describe() =>
        $"{Info?.Describe() ?? "an unreadable claim"}, heartbeat {RunClaim.FormatAge(HeartbeatAge)} ago{(StaleReason is null ? "" : $" ({StaleReason})")}";
}

/// <summary>A run folder another live process holds.</summary>
public sealed class RunClaimedException(string folder, ClaimStatus holder, TimeSpan lease)
    : Exception($"{folder} is in use by {holder.Describe()}: only one process may train a run at a time. " +
                $"Wait for it to finish; if it is gone, its claim is taken over once its heartbeat is older than {RunClaim.FormatAge(lease)}, or at once on the same host")
{
    public string Folder { get; } = folder;
    public ClaimStatus Holder { get; } = holder;
}

public sealed class RunClaim : IDisposable
{
    public const string FileName = "claim.json";
    public static readonly TimeSpan DefaultLease = TimeSpan.FromMinutes(10);

    private readonly object _gate = new();
    private readonly Timer _timer;
    private ClaimInfo _info;
    private bool _released;

    public string Folder { get; }
    public string Path => System.IO.Path.Combine(Folder, FileName);
    public TimeSpan Lease { get; }
    public ClaimInfo Info { get { lock (_gate) return _info; } }

    /// <summary>True once another process has replaced this claim (this one was stalled past its lease).</summary>
    public bool Lost { get; private set; }

    private RunClaim(string folder, ClaimInfo info, TimeSpan lease)
    {
        Folder = folder;
        _info = info;
        Lease = lease;
        var beat = HeartbeatInterval(lease);
        _timer = new Timer(_ => Heartbeat(), null, beat, beat);
    }

    /// <summary>How often a holder renews its heartbeat: four times per lease, at most once a minute, at least every 0.25 s.</summary>
    public static TimeSpan HeartbeatInterval(TimeSpan lease) =>
        TimeSpan.FromTicks(Math.Clamp(lease.Ticks / 4, TimeSpan.FromMilliseconds(250).Ticks, TimeSpan.FromMinutes(1).Ticks));

    /// <summary>
    /// Claims <paramref name="folder"/> (created if missing) for this process, taking over a stale
    /// claim with a line to <paramref name="log"/>; null when another live process holds it, with
    /// that holder in <paramref name="holder"/>.
    /// </summary>
    public static RunClaim? TryAcquire(string folder, TimeSpan lease, out ClaimStatus holder, Action<string>? log = null, string? command = null)
    {
        folder = System.IO.Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        string path = System.IO.Path.Combine(folder, FileName);
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var info = NewInfo(command);
            if (TryCreate(path, info))
            {
                holder = new ClaimStatus(ClaimState.None, null, TimeSpan.Zero, null);
                return new RunClaim(folder, info, lease);
            }
            holder = Inspect(folder, lease);
            if (holder.State == ClaimState.None) continue; // released between our create and our read: try again
            if (holder.State == ClaimState.Held) return null;
            if (TakeOver(folder, holder, lease, info))
            {
                log?.Invoke($"{folder}: took over the stale claim of {holder.Describe()}");
                return new RunClaim(folder, info, lease);
            }
            // another worker took it over, or the holder renewed it, first: look again
        }
        holder = Inspect(folder, lease);
        return null;
    }

    /// <summary>Claims <paramref name="folder"/> or throws <see cref="RunClaimedException"/> naming the holder.</summary>
    public static RunClaim Acquire(string folder, TimeSpan lease, Action<string>? log = null, string? command = null) =>
        TryAcquire(folder, lease, out var holder, log, command) ?? throw new RunClaimedException(System.IO.Path.GetFullPath(folder), holder, lease);

    /// <summary>The claim of <paramref name="folder"/> as it stands: none, held by a live process, or stale.</summary>
    public static ClaimStatus Inspect(string folder, TimeSpan lease)
    {
        string path = System.IO.Path.Combine(folder, FileName);
        var none = new ClaimStatus(ClaimState.None, null, TimeSpan.Zero, null);
        ClaimInfo? info = null;
        DateTime modified = default;
        try { info = JsonSerializer.Deserialize<ClaimInfo>(AtomicFile.ReadAllText(path), RunJson.Options); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return none; }
        catch (JsonException) { }
        if (info is null)
        {
            // Unreadable: it ages by its mtime, unless it is gone by now (a missing file's mtime is 1601, which would make it stale).
            var file = new FileInfo(path);
            if (!file.Exists) return none;
            modified = file.LastWriteTimeUtc;
        }
        var now = DateTime.UtcNow;
        var age = now - (info?.HeartbeatUtc ?? modified);
        if (age < TimeSpan.Zero) age = TimeSpan.Zero;
        if (age > lease) return new ClaimStatus(ClaimState.Stale, info, age, $"older than the lease of {FormatAge(lease)}");
        if (info is not null && string.Equals(info.Host, Environment.MachineName, StringComparison.Ordinal) && !IsAlive(info))
            return new ClaimStatus(ClaimState.Stale, info, age, $"pid {info.Pid} is no longer running");
        if (info?.Slot is { } slot && CurrentSlot() is { } mine && IsRestartOf(slot, mine))
            return new ClaimStatus(ClaimState.Stale, info, age, $"{slot.Split('#')[0]} was requeued");
        return new ClaimStatus(ClaimState.Held, info, age, null);
    }

    /// <summary>Renews the heartbeat now (the timer does it on its own; tests and long pauses may call it).</summary>
    public void Heartbeat()
    {
        lock (_gate)
        {
            if (_released || Lost) return;
            try
            {
                var current = JsonSerializer.Deserialize<ClaimInfo>(AtomicFile.ReadAllText(Path), RunJson.Options);
                if (current?.Token != _info.Token)
                {
                    Lost = true;
                    return;
                }
                _info = _info with { HeartbeatUtc = DateTime.UtcNow };
                WriteReplace(Path, _info);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
            {
                // A missed beat only ages the claim; the next one tries again.
            }
        }
    }

    /// <summary>Stops the heartbeat and deletes the claim if it is still this process's.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_released) return;
            _released = true;
        }
        _timer.Dispose();
        try
        {
            var current = JsonSerializer.Deserialize<ClaimInfo>(AtomicFile.ReadAllText(Path), RunJson.Options);
            if (current?.Token == _info.Token) File.Delete(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { }
    }

    public static string FormatAge(TimeSpan t) =>
        t.TotalSeconds < 120 ? $"{t.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s"
        : t.TotalMinutes < 120 ? $"{t.TotalMinutes.ToString("0", CultureInfo.InvariantCulture)} min"
        : $"{t.TotalHours.ToString("0.0", CultureInfo.InvariantCulture)} h";

    /// <summary>"10m", "5s", "1h", "90" (seconds); null when unreadable or not positive.</summary>
    public static TimeSpan? ParseLease(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        double scale = 1;
        if (t.EndsWith("ms", StringComparison.Ordinal)) { scale = 0.001; t = t[..^2]; }
        else if (t.EndsWith('s')) t = t[..^1];
        else if (t.EndsWith('m')) { scale = 60; t = t[..^1]; }
        else if (t.EndsWith('h')) { scale = 3600; t = t[..^1]; }
        if (!double.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v) || !(v > 0) || v * scale > 7 * 86400)
            return null;
        return TimeSpan.FromSeconds(v * scale);
    }

    /// <summary>
    /// This process's Slurm array task or job and its restart count ("slurm:123_4#1"), or null
    /// outside Slurm. Processes of one incarnation share it; a requeued task differs only after '#'.
    /// </summary>
    public static string? CurrentSlot()
    {
        string? job = Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID"), task = Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID");
        string restart = Environment.GetEnvironmentVariable("SLURM_RESTART_COUNT") is { Length: > 0 } r ? r : "0";
        if (!string.IsNullOrEmpty(job) && !string.IsNullOrEmpty(task)) return $"slurm:{job}_{task}#{restart}";
        return Environment.GetEnvironmentVariable("SLURM_JOB_ID") is { Length: > 0 } id ? $"slurm:{id}#{restart}" : null;
    }

    /// <summary>True when <paramref name="mine"/> is a later incarnation of the Slurm task that made <paramref name="claimed"/>.</summary>
    public static bool IsRestartOf(string claimed, string mine) => claimed != mine && claimed.Split('#')[0] == mine.Split('#')[0];

    private static ClaimInfo NewInfo(string? command)
    {
        var now = DateTime.UtcNow;
        using var self = Process.GetCurrentProcess();
        return new ClaimInfo
        {
            Host = Environment.MachineName, Pid = Environment.ProcessId, ProcessStartUtc = self.StartTime.ToUniversalTime(),
            Token = Guid.NewGuid().ToString("N"), ClaimedUtc = now, HeartbeatUtc = now,
            Command = command ?? string.Join(" ", Environment.GetCommandLineArgs()), Slot = CurrentSlot(),
        };
    }

    private static bool IsAlive(ClaimInfo info)
    {
        if (info.Pid == Environment.ProcessId) return true;
        try
        {
            using var p = Process.GetProcessById(info.Pid);
            if (p.HasExited) return false;
            // A pid reused by a process that started after the claim was made is not the claimant.
            return info.ProcessStartUtc == default || Math.Abs((p.StartTime.ToUniversalTime() - info.ProcessStartUtc).TotalSeconds) < 2;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
        catch (System.ComponentModel.Win32Exception) { return true; }
    }

    /// <summary>Creates <paramref name="path"/> with <paramref name="info"/> only if it does not exist, whole (AtomicFile.CreateNew).</summary>
    private static bool TryCreate(string path, ClaimInfo info) =>
        AtomicFile.CreateNew(path, JsonSerializer.SerializeToUtf8Bytes(info, RunJson.Options), flushToDisk: true);

    private static void WriteReplace(string path, ClaimInfo info) =>
        AtomicFile.Write(path, s => s.Write(JsonSerializer.SerializeToUtf8Bytes(info, RunJson.Options)), flushToDisk: false);

    /// <summary>Replaces the stale claim <paramref name="seen"/> by <paramref name="mine"/>, under the takeover lock; false when someone else moved first.</summary>
    private static bool TakeOver(string folder, ClaimStatus seen, TimeSpan lease, ClaimInfo mine)
    {
        string path = System.IO.Path.Combine(folder, FileName);
        string gate = path + ".takeover";
        var gateInfo = mine with { Command = "takeover" };
        if (!TryCreate(gate, gateInfo))
        {
            // A taker that died inside the few milliseconds a takeover takes leaves the gate behind.
            var left = new FileInfo(gate);
            if (left.Exists && DateTime.UtcNow - left.LastWriteTimeUtc > lease) File.Delete(gate);
            return false;
        }
        try
        {
            var now = Inspect(folder, lease);
            if (now.State != ClaimState.Stale || now.Info?.Token != seen.Info?.Token) return false;
            WriteReplace(path, mine);
            return true;
        }
        finally
        {
            File.Delete(gate);
        }
    }
}
