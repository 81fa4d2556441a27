// The geometry of a 2-D convolution or pooling window over NCHW data, passed to kernels as one struct.
namespace Activations.Kernels.Conv;

/// <summary>
/// Input (N, C, H, W), window kh×kw, stride, zero padding → output (N, C', Ho, Wo) with
/// Ho = (H + 2·pad − kh) / stride + 1 (floor), likewise Wo.
/// </summary>
public readonly record struct ConvGeometry(int N, int C, int H, int W, int KH, int KW, int Stride, int Pad)
{
    public int OutH => (H + 2 * Pad - KH) / Stride + 1;
    public int OutW => (W + 2 * Pad - KW) / Stride + 1;

    /// <summary>Columns per output position: C·kh·kw.</summary>
    public int Patch => C * KH * KW;

    /// <summary>Rows of the im2col matrix: N·Ho·Wo.</summary>
    public int Rows => N * OutH * OutW;

    /// <summary>
    /// The output row (or column) whose window puts tap <paramref name="tap"/> on input position
    /// <paramref name="position"/>, or −1 when none does. Backward gathers loop over taps with it.
    /// </summary>
    public static int OutputFor(int position, int tap, int pad, int stride, int outSize)
    {
        int shifted = position + pad - tap;
        if (stride == 1) return shifted >= 0 && shifted < outSize ? shifted : -1; // no division
        if (shifted < 0 || shifted % stride != 0) return -1;
        int o = shifted / stride;
        return o < outSize ? o : -1;
    }

    public string? Problem()
    {
        if (N < 1 || C < 1 || H < 1 || W < 1) return $"input [{N}, {C}, {H}, {W}] has an empty dimension";
        if (KH < 1 || KW < 1) return $"kernel {KH}×{KW} is empty";
        if (Stride < 1) return $"stride {Stride} must be ≥ 1";
        if (Pad < 0) return $"padding {Pad} must be ≥ 0";
        if (H + 2 * Pad < KH || W + 2 * Pad < KW)
            return $"kernel {KH}×{KW} is larger than the padded input {H + 2 * Pad}×{W + 2 * Pad}";
        return null;
    }
}
