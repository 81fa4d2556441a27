// Builds an ONNX graph (opset 17, IR version 8) through the classes protoc generates from the
// official onnx.proto: nodes, float initializers and the model around them. Names are made unique
// here so that callers only say what each node computes.
using Google.Protobuf;
using Onnx;

namespace Activations.Training.Export;

internal sealed class OnnxGraph
{
    public const int Opset = 17;
    public const long IrVersion = 8;

    private readonly GraphProto _graph = new();
    private readonly HashSet<string> _names = [];
    private int _next;

    public OnnxGraph(string name) => _graph.Name = name;

    /// <summary>A fresh value name based on <paramref name="hint"/>.</summary>
    public string Fresh(string hint)
    {
        string name = hint;
        while (!_names.Add(name)) name = $"{hint}_{++_next}";
        return name;
    }

    /// <summary>Adds a float initializer (a weight, an α, a constant) and returns its name.</summary>
    public string Initializer(string hint, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = Fresh(hint), DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian");
        t.RawData = ByteString.CopyFrom(bytes);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    private readonly Dictionary<float, string> _scalars = [];

    /// <summary>A scalar constant (shape []), broadcast by the elementwise ops; one initializer per value.</summary>
    public string Scalar(string hint, float value)
    {
        if (!_scalars.TryGetValue(value, out var name)) _scalars[value] = name = Initializer(hint, [value]);
        return name;
    }

    /// <summary>Adds a node; returns the name of its (single) output.</summary>
    public string Node(string op, string[] inputs, string outputHint, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = Fresh(outputHint + "_" + op) };
        n.Input.AddRange(inputs);
        string output = Fresh(outputHint);
        n.Output.Add(output);
        n.Attribute.AddRange(attributes);
        _graph.Node.Add(n);
        return output;
    }

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>Declares a float graph input or output; a null dimension is the symbolic batch size.</summary>
    public string Input(string name, params long?[] dims)
    {
        var v = Value(Fresh(name), dims);
        _graph.Input.Add(v);
        return v.Name;
    }

    public void Output(string name, params long?[] dims) => _graph.Output.Add(Value(name, dims));

    private static ValueInfoProto Value(string name, long?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is { } v ? new TensorShapeProto.Types.Dimension { DimValue = v } : new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    /// <summary>The whole model, serialised.</summary>
    public byte[] ToModel(string producerVersion, IReadOnlyDictionary<string, string> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "activations",
            ProducerVersion = producerVersion,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (k, v) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return model.ToByteArray();
    }
}
