// The accelerators tests run on. Every kernel test is a theory over DeviceKeys: "cpu" always runs;
// "opencl" and "cuda" run where a usable device exists and are reported as skipped (with the
// reason) elsewhere. Devices are opened once per test run and shared: kernels load once each.
using System.Collections.Concurrent;
using Activations.Engine;

namespace Activations.Tests.Infrastructure;

public static class TestDevices
{
    private static readonly ConcurrentDictionary<string, Lazy<(Device? Device, string? Reason)>> Opened = new();

    /// <summary>Every accelerator kind, present or not: the one list every device theory is built from.</summary>
    public static readonly string[] Keys = ["cpu", "opencl", "cuda"];

    /// <summary>Theory data: every accelerator kind, present or not.</summary>
    public static TheoryData<string> DeviceKeys => new(Keys);

    /// <summary>Theory rows: each accelerator kind followed by the values of each case (the shapes `verify` runs, say).</summary>
    public static IEnumerable<object[]> With<T>(IEnumerable<T> cases, Func<T, object[]> values) =>
        Keys.SelectMany(key => cases.Select(c => values(c).Prepend(key).ToArray()));

    /// <summary>The shared device for <paramref name="key"/>, or a skip with the reason it is absent.</summary>
    public static Device Get(string key)
    {
        var (device, reason) = Opened.GetOrAdd(key, k => new Lazy<(Device?, string?)>(() => Open(k))).Value;
        Skip.If(device is null, reason);
        return device!;
    }

    private static (Device?, string?) Open(string key)
    {
        try
        {
            var d = Device.Create(key);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => d.Dispose();
            return (d, null);
        }
        catch (DeviceUnavailableException e)
        {
            return (null, $"{key} not available here: {e.Message}");
        }
    }
}
