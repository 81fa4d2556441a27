// The termination signals stay the application's: PoCL, when it enumerates its devices, has LLVM
// (RemoveFileOnSignal) install handlers for SIGHUP, SIGINT, SIGQUIT and SIGTERM that restore the
// default and raise the signal again. .NET calls such a saved handler at once for a signal it does not
// treat as cancelable (SIGHUP), so a PosixSignalRegistration for it could never keep the process alive.
using System.Runtime.InteropServices;

namespace Activations.Engine;

internal static class TerminationSignals
{
    // SIGHUP, SIGINT, SIGQUIT, SIGTERM: the same numbers on Linux and macOS.
    private static readonly int[] Signals = [1, 2, 3, 15];

    // Larger than struct sigaction on every libc (glibc x86-64: 152 bytes); the bytes are only copied back.
    private const int ActionBytes = 512;

    /// <summary>Runs <paramref name="load"/> (which may load a native runtime) and then puts back the termination signals' handlers as they were.</summary>
    public static T Keep<T>(Func<T> load)
    {
        if (OperatingSystem.IsWindows()) return load();
        nint saved = Marshal.AllocHGlobal(ActionBytes * Signals.Length);
        try
        {
            var kept = Signals.Select((signal, i) => SigAction(signal, 0, saved + i * ActionBytes) == 0).ToArray();
            try { return load(); }
            finally
            {
                for (int i = 0; i < Signals.Length; i++)
                    if (kept[i]) SigAction(Signals[i], saved + i * ActionBytes, 0);
            }
        }
        finally { Marshal.FreeHGlobal(saved); }
    }

    [DllImport("libc", EntryPoint = "sigaction")]
    private static extern int SigAction(int signal, nint action, nint oldAction);
}
