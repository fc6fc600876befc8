using System.Buffers.Binary;
using System.Text.RegularExpressions;
using CoreML.Specification.MILSpec;
using Google.Protobuf;
using MilValueType = CoreML.Specification.MILSpec.ValueType;

namespace Yolo4Convert.CoreML.MLProgram;

/// <summary>
/// Builds the operations of one MIL block the plain way coremltools does: every parameter bound by name to a
/// <c>const</c> op, every op named (attribute "name" only), every output typed, names unique in the block. Remembers
/// each value's type so that ops can state their outputs from their inputs.
/// </summary>
internal sealed partial class MilBlockBuilder(DataType compute)
{
    // MIL text keywords that coremltools renames (NameSanitizer); never used as value names.
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "any", "bool", "program", "func", "tensor", "list", "dict", "tuple", "true", "false", "string", "bf16", "fp16", "fp32", "fp64",
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "state",
    };

    private readonly Dictionary<string, MilValueType> _types = new(StringComparer.Ordinal);

    /// <summary>The dtype of the program's computation (fp16 or fp32).</summary>
    public DataType Compute { get; } = compute;

    /// <summary>The block being built.</summary>
    public Block Block { get; } = new();

    /// <summary>True when <paramref name="name"/> is a MIL identifier that is not a keyword.</summary>
    public static bool IsIdentifier(string name) => Identifier().IsMatch(name) && !Keywords.Contains(name);

    /// <summary>A tensor type of constant dimensions (rank 0 for a scalar).</summary>
    public static MilValueType Tensor(DataType dataType, params long[] shape)
    {
        var t = new TensorType { DataType = dataType, Rank = shape.Length };
        foreach (var d in shape)
        {
            t.Dimensions.Add(new Dimension { Constant = new Dimension.Types.ConstantDimension { Size = (ulong)d } });
        }

        return new MilValueType { TensorType = t };
    }

    /// <summary>A scalar string value.</summary>
    public static Value String(string s) => new()
    {
        Type = Tensor(DataType.String),
        ImmediateValue = new Value.Types.ImmediateValue { Tensor = new TensorValue { Strings = new TensorValue.Types.RepeatedStrings { Values = { s } } } },
    };

    /// <summary>Declares a value defined outside the block (a function input).</summary>
    public void Declare(string name, MilValueType type) => _types.Add(name, type);

    /// <summary>The declared type of a value.</summary>
    public MilValueType TypeOf(string value) => _types[value];

    /// <summary>The shape of a tensor value.</summary>
    public long[] ShapeOf(string value) => [.. _types[value].TensorType.Dimensions.Select(d => (long)d.Constant.Size)];

    /// <summary>Adds a <c>const</c> op holding <paramref name="val"/>; returns its output's name.</summary>
    public string Const(string name, Value val)
    {
        name = Unique(name);
        var op = new Operation { Type = "const" };
        op.Attributes["name"] = String(name);
        op.Attributes["val"] = val;
        op.Outputs.Add(new NamedValueType { Name = name, Type = val.Type });
        Block.Operations.Add(op);
        _types[name] = val.Type;
        return name;
    }

    /// <summary>An int32 scalar const.</summary>
    public string Int(string name, int value) => Const(name, Immediate(Tensor(DataType.Int32), t => t.Ints = new TensorValue.Types.RepeatedInts { Values = { value } }));

    /// <summary>An int32 vector const.</summary>
    public string Ints(string name, params int[] values) =>
        Const(name, Immediate(Tensor(DataType.Int32, values.Length), t => t.Ints = new TensorValue.Types.RepeatedInts { Values = { values } }));

    /// <summary>A bool scalar const.</summary>
    public string Bool(string name, bool value) => Const(name, Immediate(Tensor(DataType.Bool), t => t.Bools = new TensorValue.Types.RepeatedBools { Values = { value } }));

    /// <summary>A string scalar const.</summary>
    public string Str(string name, string value) => Const(name, String(value));

    /// <summary>A float scalar const of <paramref name="dataType"/> (fp16 in <c>bytes</c>, fp32 in <c>floats</c>).</summary>
    public string Float(string name, float value, DataType dataType) => Const(name, dataType == DataType.Float16
        ? Immediate(Tensor(DataType.Float16), t => t.Bytes = new TensorValue.Types.RepeatedBytes { Values = ByteString.CopyFrom(Half(value)) })
        : Immediate(Tensor(DataType.Float32), t => t.Floats = new TensorValue.Types.RepeatedFloats { Values = { value } }));

    /// <summary>A float scalar const of the compute dtype.</summary>
    public string Float(string name, float value) => Float(name, value, Compute);

    /// <summary>A float tensor const of the compute dtype holding <paramref name="values"/> (row-major) as an immediate value.</summary>
    public string Floats(string name, float[] values, params long[] shape)
    {
        if (shape.Aggregate(1L, (a, d) => a * d) != values.Length)
        {
            throw new InvalidOperationException($"{values.Length} values for a [{string.Join(",", shape)}] const");
        }

        if (Compute != DataType.Float16)
        {
            return Const(name, Immediate(Tensor(DataType.Float32, shape), t => t.Floats = new TensorValue.Types.RepeatedFloats { Values = { values } }));
        }

        var bytes = new byte[2 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
        }

        return Const(name, Immediate(Tensor(DataType.Float16, shape), t => t.Bytes = new TensorValue.Types.RepeatedBytes { Values = ByteString.CopyFrom(bytes) }));
    }

    /// <summary>
    /// Adds an op whose parameters are bound to the named values (several for variadic ones such as concat's
    /// <c>values</c>) and whose one output, named like the op, has <paramref name="output"/>; returns the output's name.
    /// </summary>
    public string Op(string type, string name, MilValueType output, params (string Param, string[] Values)[] inputs)
    {
        name = Unique(name);
        var op = new Operation { Type = type };
        foreach (var (param, values) in inputs)
        {
            var argument = new Argument();
            foreach (var v in values)
            {
                if (!_types.ContainsKey(v))
                {
                    throw new InvalidOperationException($"op {name} ({type}) reads {v}, which is not defined before it");
                }

                argument.Arguments.Add(new Argument.Types.Binding { Name = v });
            }

            op.Inputs[param] = argument;
        }

        op.Attributes["name"] = String(name);
        op.Outputs.Add(new NamedValueType { Name = name, Type = output });
        Block.Operations.Add(op);
        _types[name] = output;
        return name;
    }

    /// <summary>
    /// Adds an iOS16-form constexpr op (<c>constexpr_affine_dequantize</c>, <c>constexpr_lut_to_dense</c>): no inputs,
    /// every parameter an attribute next to "name" holding its value (a blob reference or an immediate), one output.
    /// </summary>
    public string Constexpr(string type, string name, MilValueType output, params (string Key, Value Val)[] attributes)
    {
        name = Unique(name);
        var op = new Operation { Type = type };
        op.Attributes["name"] = String(name);
        foreach (var (key, val) in attributes)
        {
            op.Attributes[key] = val;
        }

        op.Outputs.Add(new NamedValueType { Name = name, Type = output });
        Block.Operations.Add(op);
        _types[name] = output;
        return name;
    }

    /// <summary>An immediate int32 scalar value.</summary>
    public static Value IntValue(int value) => Immediate(Tensor(DataType.Int32), t => t.Ints = new TensorValue.Types.RepeatedInts { Values = { value } });

    /// <summary>An immediate uint32 vector value (stored little-endian in <c>bytes</c>).</summary>
    public static Value UInt32Value(params long[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4 * i), checked((uint)values[i]));
        }

        return Immediate(Tensor(DataType.Uint32, values.Length), t => t.Bytes = new TensorValue.Types.RepeatedBytes { Values = ByteString.CopyFrom(bytes) });
    }

    /// <summary>An op with one input per parameter.</summary>
    public string Op(string type, string name, MilValueType output, params (string Param, string Value)[] inputs) =>
        Op(type, name, output, [.. inputs.Select(i => (i.Param, new[] { i.Value }))]);

    /// <summary>A unique name in this block: <paramref name="name"/>, or with a number appended.</summary>
    public string Unique(string name)
    {
        if (!IsIdentifier(name))
        {
            throw new InvalidOperationException($"'{name}' is not a MIL identifier");
        }

        var candidate = name;
        for (var i = 1; _types.ContainsKey(candidate); i++)
        {
            candidate = $"{name}_{i}";
        }

        return candidate;
    }

    private static Value Immediate(MilValueType type, Action<TensorValue> fill)
    {
        var tensor = new TensorValue();
        fill(tensor);
        return new Value { Type = type, ImmediateValue = new Value.Types.ImmediateValue { Tensor = tensor } };
    }

    private static byte[] Half(float value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteHalfLittleEndian(bytes, (Half)value);
        return bytes;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_@]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}
