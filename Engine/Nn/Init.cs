// Weight initialisation schemes, seeded through CounterRng so a run is reproducible on every
// accelerator. Each parameter draws from its own stream: Hash(run seed, FNV-1a of its name), so a
// parameter's initial values depend only on the seed and its name (adding a layer elsewhere does not
// shift them).
//
//   default   PyTorch's nn.Linear: kaiming_uniform(a=√5) → W ~ U(±1/√fan_in); b ~ U(±1/√fan_in)
//   he        Kaiming normal (fan_in, ReLU gain):   W ~ N(0, 2/fan_in)
//   xavier    Glorot uniform:                       W ~ U(±√(6/(fan_in + fan_out)))
//   between   the study's scheme between Xavier and He: W ~ N(0, 1.5/fan_in)
//   he-leaky  Kaiming normal for LeakyReLU(a = 0.1): W ~ N(0, 2/((1 + a²)·fan_in))
// Only weights follow the scheme; biases keep PyTorch's default U(±1/√fan_in), as when a PyTorch
// script calls nn.init.*_(layer.weight) on a freshly built layer.
using System.Text;

namespace Activations.Engine.Nn;

public enum InitScheme { Default, He, Xavier, Between, HeLeaky }

/// <summary>A layer with a weight (and optional bias) that the init schemes fill.</summary>
public interface IWeightedLayer
{
    Tensor Weight { get; }
    Tensor? Bias { get; }

    /// <summary>Inputs per output unit: in_features, or C·kh·kw for a convolution.</summary>
    int FanIn { get; }

    /// <summary>Outputs per input unit: out_features, or Cout·kh·kw for a convolution.</summary>
    int FanOut { get; }
}

public static class Init
{
    public static IReadOnlyList<string> Names { get; } = ["default", "he", "xavier", "between", "he-leaky"];

    public static bool TryParse(string? text, out InitScheme scheme)
    {
        switch ((text ?? "").Trim().ToLowerInvariant().Replace("_", "-"))
        {
            case "default" or "pytorch": scheme = InitScheme.Default; return true;
            case "he" or "kaiming": scheme = InitScheme.He; return true;
            case "xavier" or "glorot": scheme = InitScheme.Xavier; return true;
            case "between": scheme = InitScheme.Between; return true;
            case "he-leaky" or "heleaky" or "kaiming-leaky": scheme = InitScheme.HeLeaky; return true;
            default: scheme = default; return false;
        }
    }

    public static string Name(InitScheme s) => Names[(int)s];

    /// <summary>FNV-1a (64-bit) of the UTF-8 name: stable across runs and platforms.</summary>
    public static ulong NameHash(string name)
    {
        ulong h = 0xcbf29ce484222325UL;
        foreach (var b in Encoding.UTF8.GetBytes(name)) { h ^= b; h *= 0x100000001b3UL; }
        return h;
    }

    /// <summary>The seed of parameter <paramref name="name"/> in a run seeded <paramref name="seed"/>.</summary>
    public static ulong ParameterSeed(ulong seed, string name) => CounterRng.Hash(seed, NameHash(name));

    /// <summary>Initialises every Linear and Conv2d in <paramref name="model"/> (weights by scheme, biases PyTorch default).</summary>
    public static void Apply(Module model, InitScheme scheme, ulong seed)
    {
        foreach (var layer in WeightedLayers(model))
        {
            int fanIn = layer.FanIn, fanOut = layer.FanOut;
            var w = layer.Weight;
            string wName = w.Name ?? "weight";
            ulong ws = ParameterSeed(seed, wName);
            float[] values = scheme switch
            {
                InitScheme.Default => Uniform(ws, w.Length, 1.0 / Math.Sqrt(fanIn)),
                InitScheme.He => CounterRng.Normal(ws, w.Length, 0f, (float)Math.Sqrt(2.0 / fanIn)),
                InitScheme.Xavier => Uniform(ws, w.Length, Math.Sqrt(6.0 / (fanIn + fanOut))),
                InitScheme.Between => CounterRng.Normal(ws, w.Length, 0f, (float)Math.Sqrt(1.5 / fanIn)),
                _ => CounterRng.Normal(ws, w.Length, 0f, (float)Math.Sqrt(2.0 / ((1 + 0.1 * 0.1) * fanIn))),
            };
            w.CopyFrom(values);
            if (layer.Bias is { } b)
                b.CopyFrom(Uniform(ParameterSeed(seed, b.Name ?? "bias"), b.Length, 1.0 / Math.Sqrt(fanIn)));
        }
    }

    private static float[] Uniform(ulong seed, int n, double bound) => CounterRng.Uniform(seed, n, (float)-bound, (float)bound);

    private static IEnumerable<IWeightedLayer> WeightedLayers(Module m)
    {
        if (m is IWeightedLayer l) yield return l;
        foreach (var (_, c) in m.Children)
            foreach (var x in WeightedLayers(c)) yield return x;
    }
}
