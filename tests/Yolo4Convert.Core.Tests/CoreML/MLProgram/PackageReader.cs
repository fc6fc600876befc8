using System.Buffers.Binary;
using System.Text.Json;
using CoreML.Specification;
using CoreML.Specification.MILSpec;
using MilValueType = CoreML.Specification.MILSpec.ValueType;

namespace Yolo4Convert.Tests.CoreML.MLProgram;

/// <summary>
/// Reads a written package back without the writer's code: the manifest as JSON, the model with the generated
/// protobuf types, weight.bin byte by byte; <see cref="Check"/> asserts the rules of the ML Program format doc. A
/// detector package's root model is a pipeline [ML Program, NMS] whose stage 0 keeps its blobs in 0-weight.bin
/// (format doc §1.4, §10); <see cref="Model"/> is then that stage and <see cref="Check"/> also checks the pipeline.
/// </summary>
internal sealed class PackageReader
{
    private static readonly Dictionary<DataType, (uint Code, int Size)> BlobTypes = new()
    {
        [DataType.Float16] = (1, 2), [DataType.Float32] = (2, 4), [DataType.Uint8] = (3, 1), [DataType.Int8] = (4, 1),
    };

    public PackageReader(IReadOnlyDictionary<string, byte[]> files)
    {
        Files = files;
        Root = global::CoreML.Specification.Model.Parser.ParseFrom(files["Data/com.apple.CoreML/model.mlmodel"]);
        Model = IsPipeline ? Root.Pipeline.Models[0] : Root;
        WeightFile = IsPipeline ? "0-weight.bin" : "weight.bin";
        Weights = files["Data/com.apple.CoreML/weights/" + WeightFile];
        Consts = Block.Operations.Where(o => o.Type == "const").ToDictionary(o => o.Outputs[0].Name, o => o.Attributes["val"]);
    }

    /// <summary>Every const's value, by its output's name.</summary>
    public Dictionary<string, Value> Consts { get; }

    public IReadOnlyDictionary<string, byte[]> Files { get; }

    /// <summary>The root model: the ML Program, or the pipeline of a detector package.</summary>
    public Model Root { get; }

    /// <summary>The ML Program: the root model, or the pipeline's first stage.</summary>
    public Model Model { get; }

    /// <summary>Whether the root model is a pipeline.</summary>
    public bool IsPipeline => Root.TypeCase == Model.TypeOneofCase.Pipeline;

    /// <summary>The weight file's name in weights/.</summary>
    public string WeightFile { get; }

    public byte[] Weights { get; }

    public Function Main => Model.MlProgram.Functions["main"];

    public Block Block => Main.BlockSpecializations[Main.Opset];

    public IEnumerable<Operation> Ops(string type) => Block.Operations.Where(o => o.Type == type);

    /// <summary>The op that defines a value.</summary>
    public Operation Producer(string value) => Block.Operations.Single(o => o.Outputs.Any(x => x.Name == value));

    public static long[] Shape(MilValueType t) => [.. t.TensorType.Dimensions.Select(d => (long)d.Constant.Size)];

    /// <summary>A blob's data as floats (fp16 or fp32), located through its metadata record.</summary>
    public float[] BlobFloats(Value value)
    {
        var meta = (int)value.BlobFileValue.Offset;
        var dataType = value.Type.TensorType.DataType;
        var size = (long)BinaryPrimitives.ReadUInt64LittleEndian(Weights.AsSpan(meta + 8));
        var data = (int)BinaryPrimitives.ReadUInt64LittleEndian(Weights.AsSpan(meta + 16));
        var bytes = Weights.AsMemory(data, (int)size);
        return dataType == DataType.Float16
            ? [.. Enumerable.Range(0, bytes.Length / 2).Select(i => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.Span[(2 * i)..]))]
            : [.. Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.Span[(4 * i)..]))];
    }

    /// <summary>Asserts the format's rules; <paramref name="compute"/> is the program's float dtype.</summary>
    public void Check(DataType compute, int spec = 6)
    {
        CheckManifest();
        if (IsPipeline)
        {
            CheckPipeline(spec);
        }

        Assert.Equal(spec, Model.SpecificationVersion);
        Assert.Equal(1, Model.MlProgram.Version);
        Assert.Equal(["main"], Model.MlProgram.Functions.Keys);
        Assert.Equal($"CoreML{spec - 1}", Main.Opset);
        Assert.Equal([Main.Opset], Main.BlockSpecializations.Keys);

        // The description equals the function's inputs and the block's outputs.
        var input = Assert.Single(Main.Inputs);
        var described = Assert.Single(Model.Description.Input);
        Assert.Equal(described.Name, input.Name);
        Assert.Equal(DataType.Float32, input.Type.TensorType.DataType);
        var channels = described.Type.ImageType.ColorSpace == ImageFeatureType.Types.ColorSpace.Grayscale ? 1 : 3;
        Assert.Equal([1, channels, described.Type.ImageType.Height, described.Type.ImageType.Width], Shape(input.Type));
        Assert.Equal(Model.Description.Output.Select(o => o.Name), Block.Outputs);

        var types = new Dictionary<string, MilValueType> { [input.Name] = input.Type };
        var blobs = new List<Value>();
        foreach (var op in Block.Operations)
        {
            var name = op.Attributes["name"].ImmediateValue.Tensor.Strings.Values.Single();
            var output = Assert.Single(op.Outputs);
            Assert.Matches("^[A-Za-z_][A-Za-z0-9_]*$", output.Name);
            Assert.Equal(output.Type.TensorType.Rank, output.Type.TensorType.Dimensions.Count);
            Assert.True(output.Type.TensorType.Rank <= 5);
            if (op.Type == "const")
            {
                Assert.Empty(op.Inputs);
                Assert.Equal(["name", "val"], op.Attributes.Keys);
                var val = op.Attributes["val"];
                Assert.Equal(val.Type, output.Type);
                if (val.ValueCase == Value.ValueOneofCase.BlobFileValue)
                {
                    blobs.Add(val);
                }
                else
                {
                    var t = val.ImmediateValue.Tensor;
                    var count = Shape(val.Type).Aggregate(1L, (a, d) => a * d);
                    var stored = t.ValueCase switch
                    {
                        TensorValue.ValueOneofCase.Floats => t.Floats.Values.Count,
                        TensorValue.ValueOneofCase.Ints => t.Ints.Values.Count,
                        TensorValue.ValueOneofCase.Bools => t.Bools.Values.Count,
                        TensorValue.ValueOneofCase.Strings => t.Strings.Values.Count,
                        TensorValue.ValueOneofCase.Bytes => t.Bytes.Values.Length / BlobTypes[val.Type.TensorType.DataType].Size,
                        _ => -1,
                    };
                    Assert.Equal(count, stored);
                }
            }
            else if (op.Type.StartsWith("constexpr_", StringComparison.Ordinal))
            {
                Assert.True(spec >= 7, $"{op.Type} needs opset CoreML6 (spec 7)");
                Assert.Empty(op.Inputs);
                blobs.AddRange(op.Attributes.Values.Where(v => v.ValueCase == Value.ValueOneofCase.BlobFileValue));
                Assert.Equal(InferConstexpr(op), output.Type);
            }
            else
            {
                Assert.Equal(["name"], op.Attributes.Keys);
                foreach (var binding in op.Inputs.Values.SelectMany(a => a.Arguments))
                {
                    Assert.True(types.ContainsKey(binding.Name), $"{name} reads {binding.Name} before it is defined");
                }

                Assert.Equal(Infer(op, types), output.Type);
            }

            Assert.Equal(name, output.Name);
            Assert.True(types.TryAdd(output.Name, output.Type), $"{output.Name} is defined twice");
        }

        foreach (var (output, described2) in Block.Outputs.Zip(Model.Description.Output))
        {
            Assert.Equal(DataType.Float32, types[output].TensorType.DataType);
            Assert.Equal(described2.Type.MultiArrayType.Shape, Shape(types[output]));
        }

        foreach (var op in Block.Operations.Where(o => o.Type is not ("const" or "cast") && !o.Type.StartsWith("constexpr_", StringComparison.Ordinal)))
        {
            var first = op.Inputs[op.Type == "concat" ? "values" : "x"].Arguments[0].Name;
            if (first != input.Name)
            {
                Assert.Equal(compute, types[first].TensorType.DataType);
            }
        }

        CheckBlobs(blobs);
    }

    // The output type each op's definition gives for its inputs (the ops and parameters we emit).
    private MilValueType Infer(Operation op, Dictionary<string, MilValueType> types)
    {
        MilValueType T(string p, int i = 0) => types[op.Inputs[p].Arguments[i].Name];
        long[] S(string p) => Shape(T(p));
        int[] Ints(string p) => [.. ConstValue(op, p).ImmediateValue.Tensor.Ints.Values];
        var x = T(op.Type == "concat" ? "values" : "x");
        var xs = Shape(x);
        var dt = x.TensorType.DataType;
        long[] shape;
        switch (op.Type)
        {
            case "conv":
            case "max_pool":
                {
                    var conv = op.Type == "conv";
                    var w = conv ? S("weight") : [];
                    var k = conv ? new[] { (int)w[2], (int)w[3] } : Ints("kernel_sizes");
                    var s = Ints("strides");
                    var pad = Ints("pad");
                    var d = conv ? Ints("dilations") : [1, 1];
                    if (conv)
                    {
                        Assert.Equal(dt, T("weight").TensorType.DataType);
                        Assert.Equal(dt, T("bias").TensorType.DataType);
                        Assert.Equal(xs[1] / Ints("groups")[0], w[1]);
                        Assert.Equal([w[0]], S("bias"));
                    }

                    long Out(long n, int before, int after, int kk, int ss, int dd) => ((n + before + after - (((kk - 1) * dd) + 1)) / ss) + 1;
                    shape = [xs[0], conv ? w[0] : xs[1], Out(xs[2], pad[0], pad[1], k[0], s[0], d[0]), Out(xs[3], pad[2], pad[3], k[1], s[1], d[1])];
                    break;
                }

            case "reduce_mean":
                shape = [xs[0], xs[1], 1, 1];
                break;
            case "concat":
                {
                    var all = op.Inputs["values"].Arguments.Select(a => types[a.Name]).ToList();
                    Assert.All(all, t => Assert.Equal(dt, t.TensorType.DataType));
                    var axis = Ints("axis")[0];
                    axis = axis < 0 ? axis + xs.Length : axis;
                    Assert.All(all, t => Assert.Equal(xs.Where((_, i) => i != axis), Shape(t).Where((_, i) => i != axis)));
                    shape = [.. xs.Select((d, i) => i == axis ? all.Sum(t => Shape(t)[i]) : d)];
                    break;
                }

            case "transpose":
                shape = [.. Ints("perm").Select(p => xs[p < 0 ? p + xs.Length : p])];
                break;

            case "slice_by_index":
                {
                    var (b, e) = (Ints("begin"), Ints("end"));
                    shape = [.. b.Zip(e, (bb, ee) => (long)(ee - bb))];
                    break;
                }

            case "add" or "mul":
                {
                    var y = T("y");
                    Assert.Equal(dt, y.TensorType.DataType);
                    // numpy broadcasting: shapes aligned from the right, missing dims are 1.
                    var ys = Shape(y);
                    var rank = Math.Max(xs.Length, ys.Length);
                    long At(long[] s, int i) => i - (rank - s.Length) is var j && j >= 0 ? s[j] : 1;
                    shape = [.. Enumerable.Range(0, rank).Select(i => (At(xs, i), At(ys, i)) is var (a, b) && (a == b || b == 1) ? a : a == 1 ? b : throw new InvalidOperationException($"{op.Type}: {a} vs {b}"))];
                    break;
                }

            case "upsample_nearest_neighbor":
                shape = [xs[0], xs[1], xs[2] * Ints("scale_factor_height")[0], xs[3] * Ints("scale_factor_width")[0]];
                break;
            case "space_to_depth":
                {
                    var b = Ints("block_size")[0];
                    shape = [xs[0], xs[1] * b * b, xs[2] / b, xs[3] / b];
                    break;
                }

            case "reshape":
                shape = [.. Ints("shape").Select(v => (long)v)];
                Assert.Equal(xs.Aggregate(1L, (a, v) => a * v), shape.Aggregate(1L, (a, v) => a * v));
                break;
            case "cast":
                {
                    var name = ConstValue(op, "dtype").ImmediateValue.Tensor.Strings.Values.Single();
                    return Tensor(name == "fp16" ? DataType.Float16 : DataType.Float32, xs);
                }

            case "leaky_relu" or "elu":
                Assert.Equal(dt, T("alpha").TensorType.DataType);
                shape = xs;
                break;
            case "relu" or "sigmoid" or "tanh" or "softplus" or "abs" or "identity" or "softmax" or "exp":
                shape = xs;
                break;
            default:
                throw new InvalidOperationException($"no inference rule for {op.Type}");
        }

        return Tensor(dt, shape);
    }

    // iOS16's constexpr_affine_dequantize and constexpr_lut_to_dense, in CoreML6/7's attribute form: the parameters'
    // types against the op definitions' type domains, and the output type they give.
    private static MilValueType InferConstexpr(Operation op)
    {
        var a = op.Attributes;
        switch (op.Type)
        {
            case "constexpr_affine_dequantize":
                {
                    Assert.Equal(["axis", "name", "quantized_data", "scale", "zero_point"], a.Keys.Order(StringComparer.Ordinal));
                    var data = a["quantized_data"].Type.TensorType;
                    Assert.Contains(data.DataType, new[] { DataType.Uint8, DataType.Int8 });
                    var axis = a["axis"].ImmediateValue.Tensor.Ints.Values.Single();
                    var along = Shape(a["quantized_data"].Type)[axis < 0 ? axis + data.Rank : axis];
                    Assert.Contains(a["zero_point"].Type.TensorType.DataType, new[] { DataType.Uint8, DataType.Int8, DataType.Float32 });
                    Assert.Contains(a["scale"].Type.TensorType.DataType, new[] { DataType.Float16, DataType.Float32 });
                    foreach (var p in new[] { "zero_point", "scale" })
                    {
                        var shape = Shape(a[p].Type);
                        Assert.True(shape.Length == 0 || shape is [var n] && (n == 1 || n == along), $"{p} has shape [{string.Join(",", shape)}] for {along} slices");
                    }

                    return Tensor(a["scale"].Type.TensorType.DataType, Shape(a["quantized_data"].Type));
                }

            case "constexpr_lut_to_dense":
                {
                    Assert.Equal(["indices", "lut", "name", "shape"], a.Keys.Order(StringComparer.Ordinal));
                    var entries = Shape(a["lut"].Type).Single();
                    var bits = entries switch { 2 => 1, 4 => 2, 16 => 4, 64 => 6, 256 => 8, _ => throw new InvalidOperationException($"a table of {entries}") };
                    Assert.Contains(a["lut"].Type.TensorType.DataType, new[] { DataType.Float16, DataType.Float32, DataType.Uint8, DataType.Int8 });
                    Assert.Equal(DataType.Uint32, a["shape"].Type.TensorType.DataType);
                    var bytes = a["shape"].ImmediateValue.Tensor.Bytes.Values.ToByteArray();
                    long[] shape = [.. Enumerable.Range(0, bytes.Length / 4).Select(i => (long)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4 * i)))];
                    Assert.Equal(DataType.Uint8, a["indices"].Type.TensorType.DataType);
                    Assert.Equal(((shape.Aggregate(1L, (x, d) => x * d) * bits) + 7) / 8, Shape(a["indices"].Type).Single());
                    return Tensor(a["lut"].Type.TensorType.DataType, shape);
                }

            default:
                throw new InvalidOperationException($"no rule for {op.Type}");
        }
    }

    /// <summary>A blob's raw data bytes, located through its metadata record.</summary>
    public byte[] BlobBytes(Value value)
    {
        var meta = (int)value.BlobFileValue.Offset;
        var size = (int)BinaryPrimitives.ReadUInt64LittleEndian(Weights.AsSpan(meta + 8));
        var data = (int)BinaryPrimitives.ReadUInt64LittleEndian(Weights.AsSpan(meta + 16));
        return Weights.AsSpan(data, size).ToArray();
    }

    private Value ConstValue(Operation op, string param) => Consts[op.Inputs[param].Arguments.Single().Name];

    private static MilValueType Tensor(DataType dt, long[] shape)
    {
        var t = new TensorType { DataType = dt, Rank = shape.Length };
        foreach (var d in shape)
        {
            t.Dimensions.Add(new Dimension { Constant = new Dimension.Types.ConstantDimension { Size = (ulong)d } });
        }

        return new MilValueType { TensorType = t };
    }

    // The pipeline [ML Program, NMS]: versions (stage = target, NMS 5 for FLOAT32, pipeline = max), FLOAT32 arrays
    // throughout the NMS stage, the stage's outputs are the NMS inputs of the same name and type, the pipeline's inputs
    // are the image and the optional thresholds, its outputs the NMS outputs.
    private void CheckPipeline(int spec)
    {
        var stages = Root.Pipeline.Models;
        Assert.Equal([Model.TypeOneofCase.MlProgram, Model.TypeOneofCase.NonMaximumSuppression], stages.Select(s => s.TypeCase));
        var nms = stages[1];
        Assert.Equal(5, nms.SpecificationVersion);
        Assert.Equal(Math.Max(spec, nms.SpecificationVersion), Root.SpecificationVersion);
        Assert.All(nms.Description.Input.Concat(nms.Description.Output).Where(f => f.Type.TypeCase == FeatureType.TypeOneofCase.MultiArrayType),
            f => Assert.Equal(ArrayFeatureType.Types.ArrayDataType.Float32, f.Type.MultiArrayType.DataType));
        var arrays = nms.Description.Input.Where(f => f.Type.TypeCase == FeatureType.TypeOneofCase.MultiArrayType).ToList();
        Assert.Equal(Model.Description.Output, arrays);
        var suppression = nms.NonMaximumSuppression;
        Assert.Equal((suppression.ConfidenceInputFeatureName, suppression.CoordinatesInputFeatureName), (arrays[0].Name, arrays[1].Name));
        Assert.Equal([arrays[0].Type.MultiArrayType.Shape[0], 4], arrays[1].Type.MultiArrayType.Shape);
        Assert.All(nms.Description.Input.Where(f => f.Type.TypeCase == FeatureType.TypeOneofCase.DoubleType), f => Assert.False(f.Type.IsOptional));
        Assert.Equal(Model.Description.Input, Root.Description.Input.Take(1));
        Assert.All(Root.Description.Input.Skip(1), f => Assert.True(f.Type.IsOptional && f.Type.TypeCase == FeatureType.TypeOneofCase.DoubleType));
        Assert.Equal(nms.Description.Output, Root.Description.Output);
    }

    private void CheckManifest()
    {
        using var json = JsonDocument.Parse(Files["Manifest.json"]);
        var root = json.RootElement;
        Assert.Equal("1.0.0", root.GetProperty("fileFormatVersion").GetString());
        var items = root.GetProperty("itemInfoEntries").EnumerateObject().ToList();
        Assert.Equal(2, items.Count);
        foreach (var item in items)
        {
            Assert.Matches("^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$", item.Name);
            Assert.Equal(["author", "description", "name", "path"], item.Value.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            var path = "Data/" + item.Value.GetProperty("path").GetString();
            Assert.True(Files.ContainsKey(path) || Files.Keys.Any(k => k.StartsWith(path + "/", StringComparison.Ordinal)), $"{path} is not in the package");
        }

        var rootId = root.GetProperty("rootModelIdentifier").GetString()!;
        Assert.Equal("com.apple.CoreML/model.mlmodel", root.GetProperty("itemInfoEntries").GetProperty(rootId).GetProperty("path").GetString());
    }

    private void CheckBlobs(List<Value> blobs)
    {
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(Weights.AsSpan(4)));
        var offsets = blobs.Select(b => b.BlobFileValue.Offset).Distinct().Order().ToList();
        Assert.Equal((uint)offsets.Count, BinaryPrimitives.ReadUInt32LittleEndian(Weights));
        Assert.True(Weights.AsSpan(8, 56).IndexOfAnyExcept((byte)0) < 0);
        long end = 64;
        foreach (var blob in blobs.OrderBy(b => b.BlobFileValue.Offset))
        {
            Assert.Equal("@model_path/weights/" + WeightFile, blob.BlobFileValue.FileName);
            var meta = (int)blob.BlobFileValue.Offset;
            Assert.Equal(0, meta % 64);
            Assert.Equal(0xDEADBEEFu, BinaryPrimitives.ReadUInt32LittleEndian(Weights.AsSpan(meta)));
            var (code, size) = BlobTypes[blob.Type.TensorType.DataType];
            Assert.Equal(code, BinaryPrimitives.ReadUInt32LittleEndian(Weights.AsSpan(meta + 4)));
            var bytes = (long)BinaryPrimitives.ReadUInt64LittleEndian(Weights.AsSpan(meta + 8));
            Assert.Equal(Shape(blob.Type).Aggregate(1L, (a, d) => a * d) * size, bytes);
            Assert.Equal(meta + 64L, (long)BinaryPrimitives.ReadUInt64LittleEndian(Weights.AsSpan(meta + 16)));
            Assert.True(Weights.AsSpan(meta + 24, 40).IndexOfAnyExcept((byte)0) < 0);
            Assert.True(Weights.AsSpan((int)end, meta - (int)end).IndexOfAnyExcept((byte)0) < 0, "padding is zeros");
            end = meta + 64 + bytes;
        }

        Assert.Equal(end, Weights.Length);
    }

}
