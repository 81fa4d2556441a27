// Eight consecutive floats moved with one view access. On the CPU accelerator every view access is
// ILGPU's own .NET code (ArrayView.LoadEffectiveAddress fetches the buffer's pointer each time; in
// the activation kernels the JIT leaves it a call), so kernels that run there read and write in
// these (the packed matmul, the activations); on PoCL the packed matmul's 8-float loads are what
// the SLP vectoriser turns into vector code.
namespace Activations.Kernels;

/// <summary>Eight floats read or written with one view access (a kernel parameter type, hence public).</summary>
public struct Vec8f
{
    public float V0, V1, V2, V3, V4, V5, V6, V7;
}
