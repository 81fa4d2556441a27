// Kernels are compiled when loaded (hundreds of milliseconds each), so every kernel family is
// loaded once per accelerator and its launchers are kept here for the accelerator's lifetime.
using System.Collections.Concurrent;
using ILGPU.Runtime;

namespace Activations.Kernels;

/// <summary>A family of kernels loaded together for one accelerator.</summary>
public interface IKernelFamily<TSelf> where TSelf : class
{
    static abstract TSelf Load(Accelerator accelerator, LaunchPlan plan);
}

/// <summary>The loaded kernel families of one accelerator; thread-safe, each loaded at most once.</summary>
public sealed class KernelCache
{
    private readonly ConcurrentDictionary<Type, Lazy<object>> _families = new();

    public Accelerator Accelerator { get; }
    public LaunchPlan Plan { get; }

    public KernelCache(Accelerator accelerator)
    {
        Accelerator = accelerator;
        Plan = new LaunchPlan(accelerator);
    }

    /// <summary>The family <typeparamref name="T"/>, loading it on first use.</summary>
    public T Get<T>() where T : class, IKernelFamily<T> =>
        (T)_families.GetOrAdd(typeof(T), _ => new Lazy<object>(() => T.Load(Accelerator, Plan))).Value;

    /// <summary>How many kernel families have been loaded (for tests that check reuse).</summary>
    public int LoadedFamilies => _families.Count(kv => kv.Value.IsValueCreated);
}
