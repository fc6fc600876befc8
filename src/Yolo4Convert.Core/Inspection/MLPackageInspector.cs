using System.Collections.Immutable;
using CoreML.Specification;
using CoreML.Specification.MILSpec;
using Google.Protobuf;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Runtime.MLProgram;

namespace Yolo4Convert.Inspection;

/// <summary>
/// `inspect` of an ML Program .mlpackage: the root model's description and metadata as for an .mlmodel, the ops
/// of function main counted by type (consts apart), and the float constants by role (conv kernels, other) and format.
/// </summary>
internal static class MLPackageInspector
{
    // How a constant is stored: a float const, or a kernel that a constexpr op decompresses at load (values: the
    // dense count; bytes: what its attributes hold).
    private static (string Format, long Values, long Bytes)? Stored(Operation op)
    {
        static long Count(Value v) => v.Type?.TensorType?.Dimensions.Aggregate(1L, (a, d) => a * (long)(d.Constant?.Size ?? 1)) ?? 0;
        static long Size(Value v) => Count(v) * (v.Type.TensorType.DataType switch { DataType.Float32 or DataType.Uint32 or DataType.Int32 => 4, DataType.Float16 => 2, _ => 1 });
        var values = op.Outputs.Count == 1 ? op.Outputs[0].Type?.TensorType?.Dimensions.Aggregate(1L, (a, d) => a * (long)(d.Constant?.Size ?? 1)) ?? 0 : 0;
        return op.Type switch
        {
            "const" when op.Attributes.TryGetValue("val", out var v) && v.Type?.TensorType is { DataType: DataType.Float16 or DataType.Float32 } t =>
                (t.DataType == DataType.Float16 ? "fp16" : "fp32", Count(v), Size(v)),
            "constexpr_affine_dequantize" when op.Attributes.TryGetValue("quantized_data", out var q) =>
                ($"linear{8 * Size(q) / Math.Max(1, Count(q))}", values, op.Attributes.Where(a => a.Key != "name").Sum(a => Size(a.Value))),
            "constexpr_lut_to_dense" when op.Attributes.TryGetValue("lut", out var lut) && Count(lut) is > 1 and var entries =>
                ($"kmeans{(int)Math.Log2(entries)}", values, op.Attributes.Where(a => a.Key != "name").Sum(a => Size(a.Value))),
            _ => null,
        };
    }

    /// <summary>Describes a package.</summary>
    public static ModelInspection Inspect(InputFolder folder)
    {
        var package = MLPackage.Open(folder);
        var fileName = folder.Name;
        Model model;
        try
        {
            using var stream = package.OpenModel();
            model = Model.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ModelFormatException($"the root model is not a valid Core ML model ({ex.Message}).", new SourceLocation(package.ModelPath), "the package is damaged; convert the model again.");
        }

        var where = new SourceLocation(package.ModelPath);
        var (program, nms) = model.TypeCase == Model.TypeOneofCase.Pipeline ? Stages(model, where) : (model, null);
        if (program.TypeCase != Model.TypeOneofCase.MlProgram || !program.MlProgram.Functions.TryGetValue("main", out var main)
            || !main.BlockSpecializations.TryGetValue(main.Opset, out var block))
        {
            throw new UnsupportedFeatureException($"the package's root model is a '{model.TypeCase}' model without a 'main' function block; inspect reads ML Program packages.", where);
        }

        var description = model.Description ?? throw new ModelFormatException("the model has no description.", where, "convert the model again.");
        var ops = block.Operations.Where(o => !o.Type.StartsWith("const", StringComparison.Ordinal)).ToList();
        var kernels = ops.Where(o => o.Type == "conv" && o.Inputs.TryGetValue("weight", out var w) && w.Arguments.Count == 1)
            .Select(o => o.Inputs["weight"].Arguments[0].Name).ToHashSet(StringComparer.Ordinal);
        var weights = block.Operations.Select(o => (Op: o, Stored: Stored(o))).Where(s => s.Stored is not null)
            .GroupBy(s => (Role: kernels.Contains(s.Op.Outputs[0].Name) ? "kernels" : "other", s.Stored!.Value.Format), s => s.Stored!.Value)
            .Select(g => new WeightGroup(g.Key.Role, g.Key.Format, g.Count(), g.Sum(v => v.Values), g.Sum(v => v.Bytes)))
            .OrderBy(w => w.Role, StringComparer.Ordinal).ThenBy(w => w.Format, StringComparer.Ordinal).ToList();
        var meta = description.Metadata ?? new Metadata();
        var userDefined = meta.UserDefined.ToImmutableSortedDictionary(StringComparer.Ordinal);
        var bytes = folder.Bytes();
        return new ModelInspection(
            fileName, nms is null ? "mlProgram" : "pipeline", nms is null ? $"ML Program .mlpackage (opset {main.Opset})" : $"pipeline (ML Program + NMS) .mlpackage (opset {main.Opset})", bytes,
            model.SpecificationVersion, CoreMLVersions.MinimumOs(model.SpecificationVersion),
            [.. description.Input.Select(CoreMLInspector.Feature)], [.. description.Output.Select(CoreMLInspector.Feature)],
            new ModelStrings(CoreMLInspector.Text(meta.Author), CoreMLInspector.Text(meta.License), CoreMLInspector.Text(meta.ShortDescription), CoreMLInspector.Text(meta.VersionString), null, null),
            ConverterFacts.From(userDefined),
            nms,
            ops.Count,
            [.. ops.GroupBy(o => o.Type).Select(g => new LayerTypeCount(g.Key, g.Count())).OrderByDescending(c => c.Count).ThenBy(c => c.Type, StringComparer.Ordinal)],
            [],
            weights, weights.Sum(w => w.Bytes), userDefined);
    }

    // A detector package's pipeline: its ML Program stage and its NMS stage (as yolo4convert --nms writes them).
    private static (Model Program, NmsStage? Nms) Stages(Model model, SourceLocation where)
    {
        var stages = model.Pipeline.Models;
        if (stages.Count(s => s.TypeCase == Model.TypeOneofCase.MlProgram) != 1
            || stages.Any(s => s.TypeCase is not (Model.TypeOneofCase.MlProgram or Model.TypeOneofCase.NonMaximumSuppression)))
        {
            throw new UnsupportedFeatureException(
                $"the package's pipeline has the stages [{string.Join(", ", stages.Select(s => s.TypeCase))}]; inspect reads pipelines of one ML Program and a NonMaximumSuppression model.", where);
        }

        var suppression = stages.FirstOrDefault(s => s.TypeCase == Model.TypeOneofCase.NonMaximumSuppression)?.NonMaximumSuppression;
        return (stages.First(s => s.TypeCase == Model.TypeOneofCase.MlProgram), suppression is null ? null : CoreMLInspector.NmsStageOf(model, suppression));
    }
}
