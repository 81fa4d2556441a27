// 2×2 max pooling with stride 2, runs of 8 windows (4 for rows of 4–7) in OpenCL's vector types
// (PoCL only). One window per work-item leaves each tap at stride 2 across neighbouring work-items:
// PoCL's vectoriser made gathers of them on AVX-512 and, for Zen 3 (znver3), no vector code at all.
// Here a work-item reads the run's two input rows as float16 (float8), splits each into its even and
// odd lanes (OpenCL's .even / .odd) and keeps the maxima and their offsets as selects; backward
// writes the two rows back with the same selects. Registered as OpenCL intrinsics (EnablePoolRuns
// on the context builder); PoolKernels loads the kernels that call them only on OpenCL CPUs
// (LaunchPlan.FusedMultiplyAdd), and every other backend compiles the scalar form (WindowRunsInScalars).
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.OpenCL;
using ILGPU.IR;
using ILGPU.IR.Intrinsics;
using ILGPU.IR.Values;

namespace Activations.Kernels.Pool;

/// <summary>Eight integers (a run of max-pooling argmax offsets).</summary>
public struct Vec8i
{
    public int V0, V1, V2, V3, V4, V5, V6, V7;
}

/// <summary>2×2 max pooling of eight neighbouring windows as OpenCL vector code.</summary>
public static class PoolRuns
{
    /// <summary>Makes <see cref="MaxOfWindows"/>, <see cref="SpreadToWindows"/> and their 4-window forms OpenCL vector code in every kernel compiled in the built context.</summary>
    public static Context.Builder EnablePoolRuns(this Context.Builder builder)
    {
        var intrinsics = builder.GetIntrinsicManager();
        intrinsics.RegisterOpenCL(typeof(PoolRuns), nameof(MaxOfWindows), nameof(GenerateMaxOfWindows));
        intrinsics.RegisterOpenCL(typeof(PoolRuns), nameof(SpreadToWindows), nameof(GenerateSpreadToWindows));
        intrinsics.RegisterOpenCL(typeof(PoolRuns), nameof(MaxOfWindows4), nameof(GenerateMaxOfWindows4));
        intrinsics.RegisterOpenCL(typeof(PoolRuns), nameof(SpreadToWindows4), nameof(GenerateSpreadToWindows4));
        return builder;
    }

    /// <summary>
    /// The OpenCL types of a run of <paramref name="windows"/> windows (8, or 4 for rows of 4–7): plain
    /// vector loads and stores through the structs' addresses, 4-byte aligned as they are; in_ (2·windows
    /// inputs), out_ and int_ (windows).
    /// </summary>
    private static string Types(int windows) =>
        $"typedef float{2 * windows} __attribute__((aligned(4))) in_; typedef float{windows} __attribute__((aligned(4))) out_; " +
        $"typedef int{windows} __attribute__((aligned(4))) int_;";

    /// <summary>
    /// For window l of 8 (inputs top[2l], top[2l + 1], bottom[2l], bottom[2l + 1]): best[l] = its
    /// maximum and at[l] = where (0, 1, w, w + 1), taps in that order, the first maximum kept, NaN winning.
    /// </summary>
    [IntrinsicImplementation, MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MaxOfWindows(ref Vec16f top, ref Vec16f bottom, int w, ref Vec8f best, ref Vec8i at) =>
        MaxOfWindowsInScalars(ref top, ref bottom, w, ref best, ref at);

    /// <summary><see cref="MaxOfWindows"/> in scalar code (<see cref="WindowRunsInScalars"/>).</summary>
    internal static void MaxOfWindowsInScalars(ref Vec16f top, ref Vec16f bottom, int w, ref Vec8f best, ref Vec8i at)
    {
        Window(top.Lo.V0, top.Lo.V1, bottom.Lo.V0, bottom.Lo.V1, w, out best.V0, out at.V0);
        Window(top.Lo.V2, top.Lo.V3, bottom.Lo.V2, bottom.Lo.V3, w, out best.V1, out at.V1);
        Window(top.Lo.V4, top.Lo.V5, bottom.Lo.V4, bottom.Lo.V5, w, out best.V2, out at.V2);
        Window(top.Lo.V6, top.Lo.V7, bottom.Lo.V6, bottom.Lo.V7, w, out best.V3, out at.V3);
        Window(top.Hi.V0, top.Hi.V1, bottom.Hi.V0, bottom.Hi.V1, w, out best.V4, out at.V4);
        Window(top.Hi.V2, top.Hi.V3, bottom.Hi.V2, bottom.Hi.V3, w, out best.V5, out at.V5);
        Window(top.Hi.V4, top.Hi.V5, bottom.Hi.V4, bottom.Hi.V5, w, out best.V6, out at.V6);
        Window(top.Hi.V6, top.Hi.V7, bottom.Hi.V6, bottom.Hi.V7, w, out best.V7, out at.V7);
    }

    private static void Window(float a, float b, float c, float d, int w, out float best, out int at)
    {
        best = a;
        at = 0;
        if (Takes(best, b)) { best = b; at = 1; }
        if (Takes(best, c)) { best = c; at = w; }
        if (Takes(best, d)) { best = d; at = w + 1; }
    }

    private static bool Takes(float best, float v) => !XMath.IsNaN(best) && (v > best || XMath.IsNaN(v));

    /// <summary>The OpenCL code for <see cref="MaxOfWindows"/>.</summary>
    public static void GenerateMaxOfWindows(CLBackend backend, CLCodeGenerator codeGenerator, Value value) =>
        MaxOfWindowsCode(codeGenerator, (MethodCall)value, 8);

    /// <summary>As <see cref="MaxOfWindows"/> for 4 windows (lanes 0–3 of best and at; top and bottom hold 8 inputs).</summary>
    [IntrinsicImplementation, MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MaxOfWindows4(ref Vec8f top, ref Vec8f bottom, int w, ref Vec8f best, ref Vec8i at) =>
        MaxOfWindows4InScalars(ref top, ref bottom, w, ref best, ref at);

    /// <summary><see cref="MaxOfWindows4"/> in scalar code.</summary>
    internal static void MaxOfWindows4InScalars(ref Vec8f top, ref Vec8f bottom, int w, ref Vec8f best, ref Vec8i at)
    {
        Window(top.V0, top.V1, bottom.V0, bottom.V1, w, out best.V0, out at.V0);
        Window(top.V2, top.V3, bottom.V2, bottom.V3, w, out best.V1, out at.V1);
        Window(top.V4, top.V5, bottom.V4, bottom.V5, w, out best.V2, out at.V2);
        Window(top.V6, top.V7, bottom.V6, bottom.V7, w, out best.V3, out at.V3);
    }

    /// <summary>The OpenCL code for <see cref="MaxOfWindows4"/>.</summary>
    public static void GenerateMaxOfWindows4(CLBackend backend, CLCodeGenerator codeGenerator, Value value) =>
        MaxOfWindowsCode(codeGenerator, (MethodCall)value, 4);

    private static void MaxOfWindowsCode(CLCodeGenerator codeGenerator, MethodCall call, int windows)
    {
        string top = codeGenerator.Load(call[0]).ToString(), bottom = codeGenerator.Load(call[1]).ToString();
        string w = codeGenerator.Load(call[2]).ToString();
        string best = codeGenerator.Load(call[3]).ToString(), at = codeGenerator.Load(call[4]).ToString();
        Append(codeGenerator,
            $"{{ {Types(windows)} in_ t_ = *(in_*){top}; in_ u_ = *(in_*){bottom}; out_ b_ = t_.even; int_ k_ = (int_)(0);" +
            Take("t_.odd", "1") + Take("u_.even", w) + Take("u_.odd", $"{w} + 1") +
            $" *(out_*){best} = b_; *(int_*){at} = k_; }}");
    }

    /// <summary>v replaces b_ (and its offset k_) where v &gt; b_ or v is NaN, unless b_ is NaN (<see cref="Takes"/>).</summary>
    private static string Take(string v, string offset) =>
        $" {{ out_ v_ = {v}; int_ m_ = isnan(b_) == 0 & (v_ > b_ | isnan(v_)); b_ = select(b_, v_, m_); k_ = select(k_, (int_)({offset}), m_); }}";

    /// <summary>top[2l + j] = dy[l] where at[l] = j, bottom[2l + j] = dy[l] where at[l] = w + j (j = 0, 1), zero elsewhere.</summary>
    [IntrinsicImplementation, MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SpreadToWindows(ref Vec8f dy, ref Vec8i at, int w, ref Vec16f top, ref Vec16f bottom) =>
        SpreadToWindowsInScalars(ref dy, ref at, w, ref top, ref bottom);

    /// <summary><see cref="SpreadToWindows"/> in scalar code.</summary>
    internal static void SpreadToWindowsInScalars(ref Vec8f dy, ref Vec8i at, int w, ref Vec16f top, ref Vec16f bottom)
    {
        Spread(dy.V0, at.V0, w, out top.Lo.V0, out top.Lo.V1, out bottom.Lo.V0, out bottom.Lo.V1);
        Spread(dy.V1, at.V1, w, out top.Lo.V2, out top.Lo.V3, out bottom.Lo.V2, out bottom.Lo.V3);
        Spread(dy.V2, at.V2, w, out top.Lo.V4, out top.Lo.V5, out bottom.Lo.V4, out bottom.Lo.V5);
        Spread(dy.V3, at.V3, w, out top.Lo.V6, out top.Lo.V7, out bottom.Lo.V6, out bottom.Lo.V7);
        Spread(dy.V4, at.V4, w, out top.Hi.V0, out top.Hi.V1, out bottom.Hi.V0, out bottom.Hi.V1);
        Spread(dy.V5, at.V5, w, out top.Hi.V2, out top.Hi.V3, out bottom.Hi.V2, out bottom.Hi.V3);
        Spread(dy.V6, at.V6, w, out top.Hi.V4, out top.Hi.V5, out bottom.Hi.V4, out bottom.Hi.V5);
        Spread(dy.V7, at.V7, w, out top.Hi.V6, out top.Hi.V7, out bottom.Hi.V6, out bottom.Hi.V7);
    }

    private static void Spread(float v, int at, int w, out float a, out float b, out float c, out float d)
    {
        a = at == 0 ? v : 0f;
        b = at == 1 ? v : 0f;
        c = at == w ? v : 0f;
        d = at == w + 1 ? v : 0f;
    }

    /// <summary>The OpenCL code for <see cref="SpreadToWindows"/>.</summary>
    public static void GenerateSpreadToWindows(CLBackend backend, CLCodeGenerator codeGenerator, Value value) =>
        SpreadToWindowsCode(codeGenerator, (MethodCall)value, 8);

    /// <summary>As <see cref="SpreadToWindows"/> for 4 windows (lanes 0–3 of dy and at; top and bottom get 8 values).</summary>
    [IntrinsicImplementation, MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SpreadToWindows4(ref Vec8f dy, ref Vec8i at, int w, ref Vec8f top, ref Vec8f bottom) =>
        SpreadToWindows4InScalars(ref dy, ref at, w, ref top, ref bottom);

    /// <summary><see cref="SpreadToWindows4"/> in scalar code.</summary>
    internal static void SpreadToWindows4InScalars(ref Vec8f dy, ref Vec8i at, int w, ref Vec8f top, ref Vec8f bottom)
    {
        Spread(dy.V0, at.V0, w, out top.V0, out top.V1, out bottom.V0, out bottom.V1);
        Spread(dy.V1, at.V1, w, out top.V2, out top.V3, out bottom.V2, out bottom.V3);
        Spread(dy.V2, at.V2, w, out top.V4, out top.V5, out bottom.V4, out bottom.V5);
        Spread(dy.V3, at.V3, w, out top.V6, out top.V7, out bottom.V6, out bottom.V7);
    }

    /// <summary>The OpenCL code for <see cref="SpreadToWindows4"/>.</summary>
    public static void GenerateSpreadToWindows4(CLBackend backend, CLCodeGenerator codeGenerator, Value value) =>
        SpreadToWindowsCode(codeGenerator, (MethodCall)value, 4);

    private static void SpreadToWindowsCode(CLCodeGenerator codeGenerator, MethodCall call, int windows)
    {
        string dy = codeGenerator.Load(call[0]).ToString(), at = codeGenerator.Load(call[1]).ToString();
        string w = codeGenerator.Load(call[2]).ToString();
        string top = codeGenerator.Load(call[3]).ToString(), bottom = codeGenerator.Load(call[4]).ToString();
        Append(codeGenerator,
            $"{{ {Types(windows)} out_ v_ = *(out_*){dy}; int_ k_ = *(int_*){at}; out_ z_ = (out_)(0.0f); in_ t_, u_;" +
            $" t_.even = select(z_, v_, k_ == 0); t_.odd = select(z_, v_, k_ == 1);" +
            $" u_.even = select(z_, v_, k_ == {w}); u_.odd = select(z_, v_, k_ == {w} + 1);" +
            $" *(in_*){top} = t_; *(in_*){bottom} = u_; }}");
    }

    private static void Append(CLCodeGenerator codeGenerator, string code)
    {
        codeGenerator.AppendIndent();
        codeGenerator.Builder.AppendLine(code);
    }
}

/// <summary>How the pool's run kernels compute a run of windows: <see cref="WindowRunsOnOpenCL"/> or <see cref="WindowRunsInScalars"/>.</summary>
internal interface IWindowRuns
{
    void Max(ref Vec16f top, ref Vec16f bottom, int w, ref Vec8f best, ref Vec8i at);

    void Max(ref Vec8f top, ref Vec8f bottom, int w, ref Vec8f best, ref Vec8i at);

    void Spread(ref Vec8f dy, ref Vec8i at, int w, ref Vec16f top, ref Vec16f bottom);

    void Spread(ref Vec8f dy, ref Vec8i at, int w, ref Vec8f top, ref Vec8f bottom);
}

/// <summary>The OpenCL vector code (PoolRuns' intrinsics): OpenCL CPUs, the only plans that load the run kernels.</summary>
internal readonly struct WindowRunsOnOpenCL : IWindowRuns
{
    public void Max(ref Vec16f top, ref Vec16f bottom, int w, ref Vec8f best, ref Vec8i at) => PoolRuns.MaxOfWindows(ref top, ref bottom, w, ref best, ref at);

    public void Max(ref Vec8f top, ref Vec8f bottom, int w, ref Vec8f best, ref Vec8i at) => PoolRuns.MaxOfWindows4(ref top, ref bottom, w, ref best, ref at);

    public void Spread(ref Vec8f dy, ref Vec8i at, int w, ref Vec16f top, ref Vec16f bottom) => PoolRuns.SpreadToWindows(ref dy, ref at, w, ref top, ref bottom);

    public void Spread(ref Vec8f dy, ref Vec8i at, int w, ref Vec8f top, ref Vec8f bottom) => PoolRuns.SpreadToWindows4(ref dy, ref at, w, ref top, ref bottom);
}

/// <summary>The same in scalar code, which every backend compiles (the CUDA compile test closes the run kernels over it).</summary>
internal readonly struct WindowRunsInScalars : IWindowRuns
{
    public void Max(ref Vec16f top, ref Vec16f bottom, int w, ref Vec8f best, ref Vec8i at) => PoolRuns.MaxOfWindowsInScalars(ref top, ref bottom, w, ref best, ref at);

    public void Max(ref Vec8f top, ref Vec8f bottom, int w, ref Vec8f best, ref Vec8i at) => PoolRuns.MaxOfWindows4InScalars(ref top, ref bottom, w, ref best, ref at);

    public void Spread(ref Vec8f dy, ref Vec8i at, int w, ref Vec16f top, ref Vec16f bottom) => PoolRuns.SpreadToWindowsInScalars(ref dy, ref at, w, ref top, ref bottom);

    public void Spread(ref Vec8f dy, ref Vec8i at, int w, ref Vec8f top, ref Vec8f bottom) => PoolRuns.SpreadToWindows4InScalars(ref dy, ref at, w, ref top, ref bottom);
}
