using CoreML.Specification.MILSpec;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Runtime.MLProgram;

/// <summary>
/// The operations whose value is known at load: const (its "val" attribute) and the iOS16 weight decompression
/// ops constexpr_affine_dequantize and constexpr_lut_to_dense, whose parameters are attributes in CoreML6/7 programs.
/// </summary>
internal static class MilConstexpr
{
    /// <summary>The value an operation of this kind defines.</summary>
    public static MilValue Evaluate(Operation op, int index, MilConstants reader, SourceLocation where)
    {
        var name = op.Outputs[0].Name;
        MilValue Attribute(string key) => op.Attributes.TryGetValue(key, out var v) ? reader.Read(v, $"attribute '{key}' of operation {index} '{name}'")
            : throw new ModelFormatException($"ML Program operation {index} '{Echo.Of(name)}' ({op.Type}) has no '{key}' attribute.", where,
                "the package is damaged or not one written by yolo4convert or coremltools; convert the model again.");
        var declared = MilConstants.TypeOf(op.Outputs[0].Type);
        switch (op.Type)
        {
            case "const":
                var value = Attribute("val");
                return value.Type == declared ? value : throw Bad(op, index, where, $"holds a {value.Type} value but declares {declared}");
            case "constexpr_affine_dequantize":
            {
                var data = Attribute("quantized_data");
                var zero = Attribute("zero_point");
                var scale = Attribute("scale");
                var axis = (int)(Attribute("axis").Data is [var a] ? a : throw Bad(op, index, where, "has a non-scalar axis"));
                axis = axis < 0 ? axis + data.Rank : axis;
                if (axis < 0 || axis >= data.Rank || scale.Count is var sc && sc != 1 && sc != data.Dims[axis] || zero.Count is var zc && zc != 1 && zc != data.Dims[axis])
                {
                    throw Bad(op, index, where, $"dequantizes {data.ShapeText} on axis {axis} with {scale.Count} scales and {zero.Count} zero points; expected 1 or one per slice of that axis");
                }

                var inner = MilShapes.Product(data.Dims, axis + 1, data.Rank);
                var result = new float[data.Count];
                for (var i = 0L; i < result.Length; i++)
                {
                    var k = (int)(i / inner % data.Dims[axis]);
                    result[i] = scale.Data![scale.Count == 1 ? 0 : k] * (data.Data![i] - zero.Data![zero.Count == 1 ? 0 : k]);
                }

                return Typed(scale.Type, data.Dims, result);
            }

            case "constexpr_lut_to_dense":
            {
                var indices = Attribute("indices");
                var lut = Attribute("lut");
                var shape = Attribute("shape").Data!.Select(d => (int)d).ToArray();
                var bits = lut.Count switch { 2 => 1, 4 => 2, 16 => 4, 64 => 6, 256 => 8, _ => throw Bad(op, index, where, $"has a table of {lut.Count} entries; expected 2, 4, 16, 64 or 256") };
                var count = shape.Aggregate(1L, (a, d) => a * d);
                if (indices.Count * 8 < count * bits)
                {
                    throw Bad(op, index, where, $"has {indices.Count} bytes of {bits}-bit indices for {count} values");
                }

                var result = new float[count];
                for (var i = 0L; i < count; i++)
                {
                    var bit = i * bits;
                    var word = (int)indices.Data![bit / 8] | (bit / 8 + 1 < indices.Count ? (int)indices.Data[(bit / 8) + 1] << 8 : 0);
                    result[i] = lut.Data![(word >> (int)(bit % 8)) & ((1 << bits) - 1)];
                }

                return Typed(lut.Type, shape, result);
            }

            default:
                throw new UnsupportedFeatureException($"ML Program operation {index} '{Echo.Of(name)}' is a '{Echo.Of(op.Type)}', which the runtime does not run (of the constexpr ops it runs constexpr_affine_dequantize and constexpr_lut_to_dense).", where);
        }
    }

    /// <summary>How a constant is stored.</summary>
    public static Weights.WeightFormat FormatOf(Operation op, MilValue value) => op.Type switch
    {
        "constexpr_affine_dequantize" => Weights.WeightFormat.Linear8,
        "constexpr_lut_to_dense" => Weights.WeightFormat.Parse($"kmeans{(int)Math.Log2(op.Attributes["lut"].Type.TensorType.Dimensions[0].Constant.Size)}"),
        _ => value.Type == DataType.Float16 ? Weights.WeightFormat.Fp16 : Weights.WeightFormat.Fp32,
    };

    private static MilValue Typed(DataType type, int[] dims, float[] data)
    {
        if (type == DataType.Float16)
        {
            CoreML.Precision.HalfPrecision.Round(data);
        }

        return new MilValue(dims, type, data);
    }

    private static ModelFormatException Bad(Operation op, int index, SourceLocation where, string what) =>
        new($"ML Program operation {index} '{Echo.Of(op.Outputs[0].Name)}' ({op.Type}) {what}.", where,
            "the package is damaged or not one written by yolo4convert or coremltools; convert the model again.");
}
