// Exports the recorded graph below a tensor to Graphviz DOT: one box per tensor with its op, name,
// shape, what its backward saved and its place in the backward order; solid edges run forward
// (input → output, labelled "saved" where backward reads that input), dashed red edges run backward
// (gradient of an output → gradient of each input that requires one). Saved tensors that are not
// graph nodes (pooling indices, dropout masks, the loss's softmax) are notes beside their op.
// `dot -Tpng graph.dot -o graph.png` draws it.
using System.Text;

namespace Activations.Engine.Autograd;

public static class GraphExport
{
    public static string ToDot(Tensor root, string title = "autograd")
    {
        var order = root.TopologicalOrder();
        // Backward visits the topological order in reverse (Tensor.Backward): number the ops that way.
        var step = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = order.Count - 1, k = 1; i >= 0; i--)
            if (!order[i].IsLeaf) step[order[i]] = k++;
        var inGraph = new HashSet<Tensor>(order, ReferenceEqualityComparer.Instance);

        var sb = new StringBuilder();
        sb.AppendLine($"digraph \"{Escape(title)}\" {{");
        sb.AppendLine("  rankdir=TB;");
        sb.AppendLine("  node [shape=box, fontname=\"Helvetica\", fontsize=10];");
        sb.AppendLine("  edge [fontname=\"Helvetica\", fontsize=9];");
        int notes = 0;
        foreach (var t in order)
        {
            // A leaf's op is only how it was made ("full"); what matters is whether it learns.
            var label = new StringBuilder(t.IsLeaf
                ? $"{(t.RequiresGrad ? "parameter" : "no grad")}: {Escape(t.Name ?? t.Op)}"
                : t.Name is null ? t.Op : $"{t.Op}: {Escape(t.Name)}");
            label.Append($"\\n{t.Shape}");
            if (step.TryGetValue(t, out int k)) label.Append($"\\nbackward #{k}");
            if (t.SavedForBackward.Any(s => ReferenceEquals(s, t))) label.Append("\\nsaves its output");
            string style = !t.IsLeaf ? ""
                : t.RequiresGrad ? ", style=filled, fillcolor=\"#cfe8ff\""
                : ", style=filled, fillcolor=\"#eeeeee\"";
            sb.AppendLine($"  t{t.Id} [label=\"{label}\"{style}];");
            foreach (var p in t.Inputs)
            {
                bool saved = t.SavedForBackward.Any(s => ReferenceEquals(s, p));
                sb.AppendLine(saved ? $"  t{p.Id} -> t{t.Id} [label=\"saved\", fontcolor=\"#7a3db8\", color=\"#7a3db8\"];" : $"  t{p.Id} -> t{t.Id};");
            }
            foreach (var s in t.SavedForBackward)
            {
                string? note = s switch
                {
                    Tensor saved when !inGraph.Contains(saved) => $"{Escape(saved.Name ?? saved.Op)}\\n{saved.Shape}",
                    IntBuffer indices => $"{t.Op}.indices (int32)\\n[{indices.Length}]",
                    _ => null,
                };
                if (note is null) continue;
                sb.AppendLine($"  s{++notes} [shape=note, label=\"saved: {note}\", fontcolor=\"#7a3db8\", color=\"#7a3db8\"];");
                sb.AppendLine($"  s{notes} -> t{t.Id} [style=dotted, color=\"#7a3db8\", arrowhead=none];");
            }
        }
        // Backward edges: each recorded op sends a gradient to every input that requires one.
        foreach (var t in order)
            foreach (var p in t.Inputs)
                if (p.RequiresGrad)
                    sb.AppendLine($"  t{t.Id} -> t{p.Id} [style=dashed, color=\"#c0392b\", constraint=false, arrowsize=0.6];");
        sb.AppendLine("}");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"");
}
