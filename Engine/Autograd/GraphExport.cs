// Exports the recorded graph below a tensor to Graphviz DOT: one box per tensor with its op,
// name and shape; edges from inputs to outputs. `dot -Tpng graph.dot -o graph.png` draws it.
using System.Text;

namespace Activations.Engine.Autograd;

public static class GraphExport
{
    public static string ToDot(Tensor root, string title = "autograd")
    {
        var sb = new StringBuilder();
        sb.AppendLine($"digraph \"{Escape(title)}\" {{");
        sb.AppendLine("  rankdir=LR;");
        sb.AppendLine("  node [shape=box, fontname=\"Helvetica\", fontsize=10];");
        foreach (var t in root.TopologicalOrder())
        {
            string label = t.Name is null ? $"{t.Op}\\n{t.Shape}" : $"{t.Op}: {Escape(t.Name)}\\n{t.Shape}";
            string style = t.IsLeaf ? (t.RequiresGrad ? ", style=filled, fillcolor=\"#cfe8ff\"" : ", style=filled, fillcolor=\"#eeeeee\"") : "";
            sb.AppendLine($"  t{t.Id} [label=\"{label}\"{style}];");
            foreach (var p in t.Parents) sb.AppendLine($"  t{p.Id} -> t{t.Id};");
        }
        sb.AppendLine("}");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"");
}
