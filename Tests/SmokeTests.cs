using Activations.Engine;
using Activations.Tests.Infrastructure;

namespace Activations.Tests;

public class SmokeTests
{
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void SquareSumGradient(string device)
    {
        var d = TestDevices.Get(device);
        GradCheck.Check(d, [[1, -2, 3.5]], [[3]],
            t => (t[0] * t[0]).Sum(),
            x => x[0].Sum(v => v * v));
    }
}
