// BitSelect decides x < 0 from the bits. It must agree with the float comparison on every class of
// float, the signed zeros and both NaNs included, or an activation would take the wrong branch
// exactly where the conventions in Activations.cs pin the answer down.
using Activations.Kernels;

namespace Activations.Tests.Activations;

public class BitSelectTests
{
    private static IEnumerable<float> Specials()
    {
        float[] xs =
        {
            0f, -0f, float.Epsilon, -float.Epsilon, 1e-38f, -1e-38f, float.MinValue, float.MaxValue,
            1f, -1f, -0.5f, 0.5f, float.PositiveInfinity, float.NegativeInfinity, float.NaN,
            BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00000)),  // NaN with the sign bit set
            BitConverter.Int32BitsToSingle(0x7F800001),                  // the smallest signalling NaN
            BitConverter.Int32BitsToSingle(unchecked((int)0xFF800001)),  // ... with the sign bit set
            BitConverter.Int32BitsToSingle(0x7FFFFFFF), BitConverter.Int32BitsToSingle(unchecked((int)0xFFFFFFFF)),
        };
        return xs;
    }

    [Fact]
    public void MaskIsTheComparisonOnSpecialValues()
    {
        foreach (float x in Specials())
            Assert.True(BitSelect.NegativeMask(x) == (x < 0f ? -1 : 0), $"x = {x} (bits 0x{BitConverter.SingleToUInt32Bits(x):X8})");
    }

    [Fact]
    public void MaskIsTheComparisonOnEveryExponentAndRandomBits()
    {
        var rng = new Random(7);
        for (int i = 0; i < 1_000_000; i++)
        {
            // Every exponent and sign equally often, random mantissa: all classes of float.
            uint bits = (uint)rng.Next(1 << 23) | ((uint)rng.Next(256) << 23) | ((uint)rng.Next(2) << 31);
            float x = BitConverter.UInt32BitsToSingle(bits);
            Assert.True(BitSelect.NegativeMask(x) == (x < 0f ? -1 : 0), $"bits 0x{bits:X8}");
        }
    }

    [Fact]
    public void SelectsReturnTheChosenBitsUnchanged()
    {
        float a = -0f, b = BitConverter.Int32BitsToSingle(0x7FC00123); // a signed zero and a NaN payload
        foreach (float x in Specials())
        {
            float neg = BitSelect.IfNegative(x, a, b), pos = BitSelect.IfPositive(x, a, b);
            Assert.Equal(BitConverter.SingleToUInt32Bits(x < 0f ? a : b), BitConverter.SingleToUInt32Bits(neg));
            Assert.Equal(BitConverter.SingleToUInt32Bits(x > 0f ? a : b), BitConverter.SingleToUInt32Bits(pos));
        }
    }
}
