// Four integers passed to a kernel by value: the dimensions or strides of a rank-≤4 broadcast
// (Tensor/BinaryKernels.cs), right-aligned and padded with leading 1s (dimensions) or 0s (strides).
namespace Activations.Kernels;

/// <summary>Four integers: the dimensions or strides of a rank-≤4 broadcast.</summary>
public readonly record struct Vec4i(int D0, int D1, int D2, int D3)
{
    public int Product => D0 * D1 * D2 * D3;
}
