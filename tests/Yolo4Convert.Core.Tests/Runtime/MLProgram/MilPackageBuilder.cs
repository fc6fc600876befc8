using System.Buffers.Binary;
using System.Text;
using CoreML.Specification;
using CoreML.Specification.MILSpec;
using Google.Protobuf;
using MilValueType = CoreML.Specification.MILSpec.ValueType;

namespace Yolo4Convert.Tests.Runtime.MLProgram;

/// <summary>
/// Builds small ML Program packages by hand for the tests: an fp32 image input [1, C, H, W], const ops (inline or
/// in weight.bin, blob storage v2), other ops bound by name, coremltools' package layout and manifest.
/// </summary>
internal sealed class MilPackageBuilder(int channels, int height, int width)
{
    private readonly List<Operation> _ops = [];
    private readonly MemoryStream _blobs = new();
    private int _blobCount;

    /// <summary>The name of the image input.</summary>
    public const string Input = "image";

    /// <summary>The byte offsets of the blob metadata records written so far.</summary>
    public List<long> BlobOffsets { get; } = [];

    /// <summary>A float constant, in weight.bin when <paramref name="blob"/>.</summary>
    public string Const(string name, int[] dims, float[] values, DataType type = DataType.Float32, bool blob = false)
    {
        var value = new Value { Type = Tensor(type, dims) };
        if (blob)
        {
            value.BlobFileValue = new Value.Types.BlobFileValue { FileName = "@model_path/weights/weight.bin", Offset = (ulong)WriteBlob(values, type) };
        }
        else
        {
            var tensor = type == DataType.Float16
                ? new TensorValue { Bytes = new TensorValue.Types.RepeatedBytes { Values = ByteString.CopyFrom(Halves(values)) } }
                : new TensorValue { Floats = new TensorValue.Types.RepeatedFloats { Values = { values } } };
            value.ImmediateValue = new Value.Types.ImmediateValue { Tensor = tensor };
        }

        return AddConst(name, value);
    }

    /// <summary>An int32 constant (a scalar when <paramref name="scalar"/>).</summary>
    public string Ints(string name, int[] values, bool scalar = false) => AddConst(name, new Value
    {
        Type = Tensor(DataType.Int32, scalar ? [] : [values.Length]),
        ImmediateValue = new Value.Types.ImmediateValue { Tensor = new TensorValue { Ints = new TensorValue.Types.RepeatedInts { Values = { values } } } },
    });

    /// <summary>A float scalar constant.</summary>
    public string Scalar(string name, float value, DataType type = DataType.Float32) => Const(name, [], [value], type);

    /// <summary>A string scalar constant.</summary>
    public string Text(string name, string value) => AddConst(name, new Value
    {
        Type = Tensor(DataType.String, []),
        ImmediateValue = new Value.Types.ImmediateValue { Tensor = new TensorValue { Strings = new TensorValue.Types.RepeatedStrings { Values = { value } } } },
    });

    /// <summary>A bool scalar constant.</summary>
    public string Bool(string name, bool value) => AddConst(name, new Value
    {
        Type = Tensor(DataType.Bool, []),
        ImmediateValue = new Value.Types.ImmediateValue { Tensor = new TensorValue { Bools = new TensorValue.Types.RepeatedBools { Values = { value } } } },
    });

    /// <summary>An operation with one output of the given dims; inputs are parameter → value names.</summary>
    public string Op(string type, string output, int[] dims, params (string Param, string[] Names)[] inputs) => Op(type, output, dims, DataType.Float32, inputs);

    /// <summary>An operation with an output of dtype <paramref name="dtype"/>.</summary>
    public string Op(string type, string output, int[] dims, DataType dtype, params (string Param, string[] Names)[] inputs)
    {
        var op = new Operation { Type = type, Attributes = { ["name"] = StringValue(output) } };
        foreach (var (param, names) in inputs)
        {
            var argument = new Argument();
            argument.Arguments.Add(names.Select(n => new Argument.Types.Binding { Name = n }));
            op.Inputs[param] = argument;
        }

        op.Outputs.Add(new NamedValueType { Name = output, Type = Tensor(dtype, dims) });
        _ops.Add(op);
        return output;
    }

    /// <summary>Writes the package into <paramref name="folder"/> and returns its path; the outputs are declared with their dims.</summary>
    public string Write(string folder, params (string Name, int[] Dims)[] outputs)
    {
        var package = Path.Combine(folder, "model.mlpackage");
        var data = Path.Combine(package, "Data", "com.apple.CoreML");
        Directory.CreateDirectory(Path.Combine(data, "weights"));
        var function = new Function { Opset = "CoreML6" };
        function.Inputs.Add(new NamedValueType { Name = Input, Type = Tensor(DataType.Float32, [1, channels, height, width]) });
        var block = new Block();
        block.Operations.Add(_ops);
        block.Outputs.Add(outputs.Select(o => o.Name));
        function.BlockSpecializations["CoreML6"] = block;
        var description = new ModelDescription();
        description.Input.Add(new FeatureDescription
        {
            Name = Input,
            Type = new FeatureType
            {
                ImageType = new ImageFeatureType
                {
                    Width = width, Height = height,
                    ColorSpace = channels == 1 ? ImageFeatureType.Types.ColorSpace.Grayscale : ImageFeatureType.Types.ColorSpace.Rgb,
                },
            },
        });
        foreach (var (name, dims) in outputs)
        {
            var array = new ArrayFeatureType { DataType = ArrayFeatureType.Types.ArrayDataType.Float32 };
            array.Shape.Add(dims.Select(d => (long)d));
            description.Output.Add(new FeatureDescription { Name = name, Type = new FeatureType { MultiArrayType = array } });
        }

        var model = new Model { SpecificationVersion = 7, Description = description, MlProgram = new global::CoreML.Specification.MILSpec.Program { Version = 1 } };
        model.MlProgram.Functions["main"] = function;
        File.WriteAllBytes(Path.Combine(data, "model.mlmodel"), model.ToByteArray());
        if (_blobCount > 0)
        {
            var bytes = _blobs.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)_blobCount);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 2);
            File.WriteAllBytes(Path.Combine(data, "weights", "weight.bin"), bytes);
        }

        File.WriteAllText(Path.Combine(package, "Manifest.json"), """
            {
                "fileFormatVersion": "1.0.0",
                "itemInfoEntries": {
                    "A1B2C3D4-0000-0000-0000-000000000001": { "author": "com.apple.CoreML", "description": "CoreML Model Specification", "name": "model.mlmodel", "path": "com.apple.CoreML/model.mlmodel" },
                    "A1B2C3D4-0000-0000-0000-000000000002": { "author": "com.apple.CoreML", "description": "CoreML Model Weights", "name": "weights", "path": "com.apple.CoreML/weights" }
                },
                "rootModelIdentifier": "A1B2C3D4-0000-0000-0000-000000000001"
            }
            """, Encoding.UTF8);
        return package;
    }

    /// <summary>The weight file of a package written by <see cref="Write"/>.</summary>
    public static string WeightFile(string package) => Path.Combine(package, "Data", "com.apple.CoreML", "weights", "weight.bin");

    /// <summary>A tensor type of the given dims (rank 0 for none).</summary>
    public static MilValueType Tensor(DataType type, int[] dims)
    {
        var t = new TensorType { DataType = type, Rank = dims.Length };
        t.Dimensions.Add(dims.Select(d => new Dimension { Constant = new Dimension.Types.ConstantDimension { Size = (ulong)d } }));
        return new MilValueType { TensorType = t };
    }

    private string AddConst(string name, Value value)
    {
        var op = new Operation { Type = "const", Attributes = { ["name"] = StringValue(name), ["val"] = value } };
        op.Outputs.Add(new NamedValueType { Name = name, Type = value.Type });
        _ops.Add(op);
        return name;
    }

    private static Value StringValue(string s) => new()
    {
        Type = Tensor(DataType.String, []),
        ImmediateValue = new Value.Types.ImmediateValue { Tensor = new TensorValue { Strings = new TensorValue.Types.RepeatedStrings { Values = { s } } } },
    };

    private long WriteBlob(float[] values, DataType type)
    {
        if (_blobs.Length == 0)
        {
            _blobs.Write(new byte[64]);
        }

        var meta = (_blobs.Length + 63) / 64 * 64;
        _blobs.SetLength(meta);
        _blobs.Position = meta;
        var data = type == DataType.Float16 ? Halves(values) : values.SelectMany(BitConverter.GetBytes).ToArray();
        var record = new byte[64];
        BinaryPrimitives.WriteUInt32LittleEndian(record, 0xDEADBEEF);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), type == DataType.Float16 ? 1u : 2u);
        BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(8), (ulong)data.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(16), (ulong)(meta + 64));
        _blobs.Write(record);
        _blobs.Write(data);
        _blobCount++;
        BlobOffsets.Add(meta);
        return meta;
    }

    private static byte[] Halves(float[] values)
    {
        var bytes = new byte[2 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
        }

        return bytes;
    }
}
