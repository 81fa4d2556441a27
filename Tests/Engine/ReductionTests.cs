// Reductions: Sum and Mean over any set of axes (with and without keepDims), the long full sum
// that takes the chunked two-pass path, and Max/ArgMax along an axis (first index on ties, NaN
// propagates). Values against double-precision host references; gradients against finite differences.
using Activations.Kernels;
using Activations.Engine;
using Activations.Kernels.Tensor;
using Activations.Tests.Infrastructure;
using static Activations.Kernels.Tensor.TensorReference;

namespace Activations.Tests.Engine;

public class ReductionTests
{
    /// <summary>Shapes and the axes reduced over ([] = all).</summary>
    private static readonly (int[] Shape, int[] Axes)[] SumCases =
    [
        ([7], []), ([2, 3, 4], []), ([2, 3, 4], [0]), ([2, 3, 4], [1]), ([2, 3, 4], [2]), ([2, 3, 4], [-1]),
        ([2, 3, 4], [0, 2]), ([2, 3, 4], [2, 0]), ([2, 3, 4], [0, 1, 2]), ([3, 1, 5, 2], [1, 3]), ([257, 33], [0]), ([257, 33], [1]),
        ([3, 5000], [1]), ([5000, 3], [0]), ([2, 3000, 2], [1]), ([4099], [0]), ([0, 3], [0]), ([3, 0], [1]), ([0], []),
    ];

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void SumAndMeanMatchReference(string device)
    {
        var d = TestDevices.Get(device);
        foreach (var (shape, axes) in SumCases)
            foreach (bool keepDims in new[] { false, true })
            {
                var x = TestInputs.Uniform(Length(shape), 1, -1f, 1f);
                var (sum, mag) = Sum(Array.ConvertAll(x, v => (double)v), shape, axes);
                var norm = axes.Length == 0 ? Enumerable.Range(0, shape.Length).ToArray() : axes.Select(a => a < 0 ? a + shape.Length : a).ToArray();
                int count = norm.Aggregate(1, (p, a) => p * shape[a]);
                var expectedShape = keepDims
                    ? shape.Select((n, i) => norm.Contains(i) ? 1 : n).ToArray()
                    : shape.Where((_, i) => !norm.Contains(i)).ToArray();
                string what = $"{Shape.Format(shape)} over [{string.Join(", ", axes)}] keepDims={keepDims} on {d.Key}";

                using var scope = TensorScope.Begin();
                var t = Tensor.FromArray(d, x, shape);
                var s = t.Sum(axes, keepDims);
                var m = t.Mean(axes, keepDims);
                Assert.Equal(expectedShape, s.Shape.ToArray());
                Assert.Equal(expectedShape, m.Shape.ToArray());
                Expect.SumsClose(s.ToArray(), sum, mag, Tolerances.ElementwiseRel, Tolerances.ElementwiseAbs, $"sum {what}");
                if (count == 0) continue; // the mean over no elements is not defined; see MeanOfNothing
                Expect.SumsClose(m.ToArray(), sum.Select(v => v / count).ToArray(), mag.Select(v => v / count).ToArray(),
                    Tolerances.ElementwiseRel, Tolerances.ElementwiseAbs, $"mean {what}");
            }
    }

    /// <summary>
    /// A full sum of 2²⁰ values uses the chunked two-pass path on every accelerator (asserted), and stays
    /// within 2e-6 relative error of the double sum: each chunk is a sequential float sum whose error
    /// grows like √(chunk length)·2⁻²⁴, and the chunks keep that length ≤ 2¹⁷ (CPU) or ~256 (OpenCL).
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void LongFullSumUsesChunksAndStaysAccurate(string device)
    {
        var d = TestDevices.Get(device);
        const int n = 1 << 20;
        Assert.True(d.Kernels.Get<ReductionKernels>().ChunksFor(1, n, 1) > 1, "a 1M full sum should be split into chunks");
        foreach (var (low, high) in new[] { (0f, 1f), (-1f, 1f), (1e3f, 1e3f + 1) })
        {
            var x = TestInputs.Uniform(n, 31, low, high);
            double exact = 0, magnitude = 0;
            foreach (var v in x) { exact += v; magnitude += Math.Abs(v); }
            using var scope = TensorScope.Begin();
            var t = Tensor.FromArray(d, x, n);
            double sum = t.Sum().Item(), mean = t.Mean().Item();
            Assert.True(Math.Abs(sum - exact) <= 2e-6 * magnitude, $"sum of U[{low}, {high}) on {d.Key}: {sum:R} vs {exact:R}, relative error {Math.Abs(sum - exact) / magnitude:E2} of Σ|x|");
            Assert.True(Math.Abs(mean - exact / n) <= 2e-6 * magnitude / n, $"mean of U[{low}, {high}) on {d.Key}: {mean:R} vs {exact / n:R}");
        }
    }

    /// <summary>
    /// The column kernel (OpenCL's and CUDA's for inner ≥ 8) on every accelerator gives exactly the float
    /// sums of each chunk in order, scaled once: shapes with one and several chunks, inner below one
    /// 8-lane vector, between, and above a group (300 > 256 columns).
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ColumnSumsAreTheChunkSumsInOrder(string device)
    {
        var d = TestDevices.Get(device);
        var kernels = d.Kernels.Get<ReductionKernels>();
        foreach (var (outer, red, inner, chunks) in new[] { (1, 50, 32, 1), (2, 1000, 10, 4), (3, 7, 3, 2), (1, 40, 300, 3), (2, 0, 9, 1) })
        {
            var x = TestInputs.Uniform(outer * red * inner, 41, -1f, 1f);
            int len = red == 0 ? 0 : (red + chunks - 1) / chunks;
            var expected = new float[outer * chunks * inner];
            for (int o = 0; o < outer; o++)
                for (int c = 0; c < chunks; c++)
                    for (int k = 0; k < inner; k++)
                    {
                        float acc = 0f;
                        for (int r = c * len; r < Math.Min(red, (c + 1) * len); r++) acc += x[(o * red + r) * inner + k];
                        expected[(o * chunks + c) * inner + k] = 0.5f * acc;
                    }
            using var scope = TensorScope.Begin();
            var tx = Tensor.FromArray(d, x.Length == 0 ? [0f] : x, Math.Max(1, x.Length));
            var ty = Tensor.Empty(d, expected.Length);
            kernels.SumColumns(tx.View, ty.View, outer, red, inner, chunks, 0.5f);
            Assert.Equal(expected, ty.ToArray());
        }
    }

    /// <summary>The mean over an empty axis is NaN (0/0), as in NumPy and PyTorch.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void MeanOfNothingIsNaN(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        Assert.All(Tensor.Zeros(d, 0, 3).Mean(0).ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.True(float.IsNaN(Tensor.Zeros(d, 0).Mean().Item()));
        Assert.Empty(Tensor.Zeros(d, 3, 0).Mean(0).ToArray()); // no outputs at all
    }

    /// <summary>Summing an empty axis gives zeros (as NumPy and PyTorch do).</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void SumOfNothingIsZero(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        Assert.Equal([0f, 0f, 0f], Tensor.Zeros(d, 0, 3).Sum(0).ToArray());
        Assert.Equal(0f, Tensor.Zeros(d, 0).Sum().Item());
    }

    private static readonly (int[] Shape, int[] Axes, bool KeepDims)[] GradCases =
    [
        ([2, 3, 4], [], false), ([2, 3, 4], [], true), ([2, 3, 4], [0], false), ([2, 3, 4], [1], true), ([2, 3, 4], [-1], false),
        ([2, 3, 4], [0, 2], false), ([2, 3, 4], [0, 2], true), ([3, 1, 2, 2], [1, 3], false), ([5], [0], true),
    ];

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void SumAndMeanGradients(string device)
    {
        var d = TestDevices.Get(device);
        foreach (var (shape, axes, keepDims) in GradCases)
        {
            var x = TestInputs.UniformD(Length(shape), 2, -2, 2);
            var (sum, _) = Sum(x, shape, axes);
            int count = x.Length / sum.Length;
            var w = TestInputs.UniformD(sum.Length, 3, 0.5, 1.5);
            // Σ w ⊙ sum(x) (and mean), weighted so each reduced group gets its own gradient.
            GradCheck.Check(d, [x], [shape],
                t => ArithmeticTests.Weighted(d, t[0].Sum(axes, keepDims), w),
                v => Sum(v[0], shape, axes).Sum.Select((s, i) => w[i] * s).Sum());
            GradCheck.Check(d, [x], [shape],
                t => ArithmeticTests.Weighted(d, t[0].Mean(axes, keepDims), w),
                v => Sum(v[0], shape, axes).Sum.Select((s, i) => w[i] * s / count).Sum());
        }
        // Nested: the sum of squares of the row means.
        GradCheck.Check(d, [TestInputs.UniformD(12, 4, -2, 2)], [[3, 4]],
            t => t[0].Mean(1).Square().Sum(),
            v => Enumerable.Range(0, 3).Sum(r => Math.Pow(v[0].Skip(4 * r).Take(4).Average(), 2)));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void MaxAndArgMaxMatchReference(string device)
    {
        var d = TestDevices.Get(device);
        foreach (var shape in new[] { new[] { 2, 3, 4 }, [5], [1, 7], [257, 33], [3, 1000] })
            for (int axis = -1; axis < shape.Length; axis++)
            {
                var x = TestInputs.Uniform(Length(shape), 5, -3f, 3f);
                var (max, idx) = Max(Array.ConvertAll(x, v => (double)v), shape, axis);
                using var scope = TensorScope.Begin();
                var t = Tensor.FromArray(d, x, shape);
                var (values, indices) = t.MaxWithIndices(axis);
                string what = $"max of {Shape.Format(shape)} along {axis} on {d.Key}";
                Assert.Equal(max.Select(v => (float)v).ToArray(), values.ToArray());
                Assert.Equal(idx, indices);
                Assert.Equal(idx.Select(i => (float)i).ToArray(), t.ArgMax(axis).ToArray());
                Assert.Equal(max.Select(v => (float)v).ToArray(), t.Max(axis).ToArray());
                Assert.True(values.Shape == t.ArgMax(axis).Shape, what);
            }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void MaxShapesWithAndWithoutKeepDims(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var t = Tensor.Zeros(d, 2, 3, 4);
        Assert.Equal([2, 4], t.Max(1).Shape.ToArray());
        Assert.Equal([2, 1, 4], t.Max(1, keepDims: true).Shape.ToArray());
        Assert.Equal([2, 3], t.ArgMax(-1).Shape.ToArray());
        Assert.Equal([2, 3, 1], t.ArgMax(-1, keepDims: true).Shape.ToArray());
    }

    /// <summary>Ties go to the first index, whatever the position of the tie and the axis.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ArgMaxTiesPickTheFirstIndex(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var rows = Tensor.FromArray(d, [
            1, 5, 5, 2,
            7, 7, 7, 7,
            -1, -3, -1, -2,
            0, -0f, 0, -1,
            float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity,
            2, 1, 9, 9], 6, 4);
        Assert.Equal([1f, 0, 0, 0, 0, 2], rows.ArgMax(1).ToArray());
        Assert.Equal([5f, 7, -1, 0, float.NegativeInfinity, 9], rows.Max(1).ToArray());
        // Along axis 0 (strided access): column 3 ties 7 with nothing, column 0 has its max at row 1.
        var cols = Tensor.FromArray(d, [3, 4, 4, 1, 3, 4, 2, 1, 0, 4, 4, 1], 3, 4);
        Assert.Equal([0f, 0, 0, 0], cols.ArgMax(0).ToArray());
        Assert.Equal([3f, 4, 4, 1], cols.Max(0).ToArray());
    }

    /// <summary>A NaN anywhere along the axis makes the max NaN, and its index is that of the first NaN.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void MaxPropagatesNaN(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var t = Tensor.FromArray(d, [
            float.NaN, 1, 2, 3,
            1, 2, float.NaN, 100,
            1, 2, 3, float.NaN,
            1, float.NaN, float.NaN, 5,
            1, 2, 3, 4], 5, 4);
        var (values, indices) = t.MaxWithIndices(1);
        var v = values.ToArray();
        Assert.All(v[..4], x => Assert.True(float.IsNaN(x)));
        Assert.Equal(4f, v[4]);
        Assert.Equal([0, 2, 3, 1, 3], indices);
        Assert.Equal([0f, 2, 3, 1, 3], t.ArgMax(1).ToArray());
        Assert.True(float.IsNaN(Tensor.FromArray(d, [1, 2, float.NaN, 3, 4], 5).Max(0).Item()));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void MaxGradients(string device)
    {
        var d = TestDevices.Get(device);
        foreach (var (shape, axis, keepDims) in new[] { (new[] { 2, 3, 4 }, 1, false), ([2, 3, 4], 0, true), ([2, 3, 4], -1, false), ([6], 0, false) })
        {
            // Distinct values 0.37 apart: the argmax cannot change under a step of 1e-5.
            var x = TestInputs.Distinct(Length(shape), (ulong)(axis + 10));
            var outputs = Length(shape) / shape[axis < 0 ? axis + shape.Length : axis];
            var w = TestInputs.UniformD(outputs, 7, 0.5, 1.5);
            GradCheck.Check(d, [x], [shape],
                t => ArithmeticTests.Weighted(d, t[0].Max(axis, keepDims), w),
                v => Max(v[0], shape, axis).Max.Select((m, i) => w[i] * m).Sum());
        }
    }

    /// <summary>With ties, the whole gradient goes to the first maximal element (a subgradient; PyTorch's max(dim) does the same).</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void MaxGradientWithTiesGoesToFirstIndex(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(d, [1, 5, 5, 2, 7, 7, 7, 7], 2, 4);
        x.RequiresGrad = true;
        x.Max(1).Sum().Backward();
        Assert.Equal([0f, 1, 0, 0, 1, 0, 0, 0], x.Grad!.ToArray());
    }

    /// <summary>The device backward of max scatters each output gradient to its argmax, as its scalar reference does.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void MaxBackwardMatchesReference(string device)
    {
        var d = TestDevices.Get(device);
        foreach (var shape in new[] { new[] { 2, 3, 4 }, [5], [257, 33], [3, 1000], [40, 70, 3] })
            for (int axis = 0; axis < shape.Length; axis++)
            {
                int outer = Length(shape[..axis]), red = shape[axis], inner = Length(shape[(axis + 1)..]);
                var x = TestInputs.Uniform(Length(shape), 9, -3f, 3f);
                var dy = TestInputs.Uniform(outer * inner, 10, -1f, 1f);
                using var scope = TensorScope.Begin();
                var t = Tensor.FromArray(d, x, shape);
                t.RequiresGrad = true;
                var (values, indices) = t.MaxWithIndices(axis, keepDims: true); // keepDims: FromArray reads shape [] as [n]
                values.Backward(Tensor.FromArray(d, dy, values.Shape.ToArray()));
                var expected = ReductionKernels.MaxBackwardReference(dy, indices, outer, red, inner);
                Assert.Equal(expected.Select(v => (float)v).ToArray(), t.Grad!.ToArray());
            }
    }
}
