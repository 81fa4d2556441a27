// Eight consecutive floats moved with one view access. The CPU accelerator checks every view
// access, so kernels that run there read and write in these (the packed matmul, the activations);
// on PoCL the packed matmul's 8-float loads are what the SLP vectoriser turns into vector code.
namespace Activations.Kernels;

/// <summary>Eight floats read or written with one view access (a kernel parameter type, hence public).</summary>
public struct Float8
{
    public float V0, V1, V2, V3, V4, V5, V6, V7;
}
