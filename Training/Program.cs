// Entry point of the `activations` command-line app.
using Activations.Engine;

namespace Activations.Training;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "devices")
        {
            foreach (var d in Device.List())
                Console.WriteLine($"{d.Key,-10} {(d.Usable ? "usable  " : "unusable")} {d.Name} | {d.MemoryBytes / (1 << 20)} MiB | warp {d.WarpSize} | group ≤ {d.MaxGroupSize} | MPs {d.Multiprocessors} | {d.Note}");
            return 0;
        }
        if (args.Length > 0 && args[0] == "verify")
        {
            using var vd = Device.Create(args.Length > 2 && args[1] == "--device" ? args[2] : "auto");
            return new Verify.KernelVerifier(vd, Console.Out).Run() == 0 ? 0 : 1;
        }
        string spec = args.Length > 1 ? args[1] : "cpu";
        using var dev = Device.Create(spec);
        Console.WriteLine(dev);
        using var x = Tensor.FromArray(dev, [-2f, -0.5f, 0f, 1f, 3f, float.NaN], 2, 3);
        x.RequiresGrad = true;
        using var alpha = Tensor.FromArray(dev, [0.5f], 1);
        alpha.RequiresGrad = true;
        var y = x.Activate(ActivationKind.ExLU, alpha);
        var s = (y * y).Sum();
        s.Backward();
        Console.WriteLine(string.Join(", ", y.ToArray()));
        Console.WriteLine(string.Join(", ", x.Grad!.ToArray()));
        Console.WriteLine(string.Join(", ", alpha.Grad!.ToArray()));
        Console.WriteLine(Activations.Engine.Autograd.GraphExport.ToDot(s));
        return 0;
    }
}
