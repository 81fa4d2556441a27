using Activations.Engine;
using Activations.Tests.Infrastructure;
using Activations.Kernels.Activations;

namespace Activations.Tests.Engine;

/// <summary>Device memory stays flat across repeated steps, and disposal releases everything.</summary>
public class MemoryTests
{
    private static void Step(Device d, Tensor w, Tensor alpha)
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.Uniform(d, new Shape(16, 8), -1f, 1f, 3);
        var h = (x * w).Activate(ActivationInfo.Of<TaLU>(), alpha).MaxPool2dCompatible();
        var loss = (h * h).Mean();
        loss.Backward();
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void RepeatedStepsAllocateNothingNew(string device)
    {
        var key = TestDevices.Get(device).Key; // skip when absent
        using var d = Device.Create(key);       // a private device: its pool counters are ours alone
        using var w = Tensor.Uniform(d, new Shape(8), -1f, 1f, 1);
        w.RequiresGrad = true;
        using var alpha = Tensor.Full(d, 0.5f, 1);
        alpha.RequiresGrad = true;
        // Two warm-up steps: the first creates the leaf gradients, the second the temporaries
        // that accumulate into them. From then on every allocation must be a pool hit.
        Step(d, w, alpha);
        Step(d, w, alpha);
        var afterFirst = d.MemoryStats;
        for (int i = 0; i < 20; i++)
        {
            w.ZeroGrad();
            alpha.ZeroGrad();
            Step(d, w, alpha);
        }
        var afterMany = d.MemoryStats;
        Assert.Equal(afterFirst.Allocations, afterMany.Allocations);
        Assert.Equal(afterFirst.BytesInUse, afterMany.BytesInUse);
        Assert.True(afterMany.Hits > afterFirst.Hits);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void DisposingTensorsReturnsAllMemoryAndDeviceDisposalIsFinal(string device)
    {
        var key = TestDevices.Get(device).Key;
        var d = Device.Create(key);
        var t = Tensor.Ones(d, 1000);
        var view = t.Reshape(10, 100);
        t.Dispose();
        Assert.Equal(4000, d.MemoryStats.BytesInUse); // the view still shares the storage
        view.Dispose();
        Assert.Equal(0, d.MemoryStats.BytesInUse);
        d.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Tensor.Zeros(d, 3));
    }
}

internal static class MemoryTestExtensions
{
    /// <summary>(16, 8) → (2, 1, 8, 8) → max-pool 2 → (2, 1, 4, 4): exercises pooled indices too.</summary>
    public static Tensor MaxPool2dCompatible(this Tensor t) => t.Reshape(2, 1, 8, 8).MaxPool2d(2);
}
