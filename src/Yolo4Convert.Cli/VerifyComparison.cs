using System.Globalization;
using Yolo4Convert.Detection;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.MetadataContract;
using Yolo4Convert.Numerics;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Cli;

/// <summary>One head's largest difference from the Darknet reference.</summary>
internal sealed record HeadError(string Head, int Layer, TensorShape Shape, HeadDifference Diff)
{
    public double Abs => Diff.MaxAbsolute;

    public double Rel => Diff.MaxRelative;
}

/// <summary>The model run at one compute precision, compared with the reference.</summary>
internal sealed record VerifyRun(ComputePrecision Precision, IReadOnlyList<HeadError> Heads, DetectionAgreement Detections, double Seconds)
{
    public double Worst => Heads.Max(h => h.Rel);

    public bool HasNonFinite => Heads.Any(h => h.Diff.HasNonFinite);

    public string Name => Precision == ComputePrecision.Fp16 ? "fp16" : "fp32";
}

/// <summary>One row of `verify`'s defaults: the stored weight formats it covers, their tolerance and minimum IoU.</summary>
internal sealed record VerifyDefault(IReadOnlyList<string> Formats, double Tolerance, float MinIou)
{
    /// <summary>How the help names the formats.</summary>
    public string Label { get; init; } = string.Join("/", Formats);
}

/// <summary>What `verify` compares: raw heads (largest error relative to the head's magnitude) and decoded detections.</summary>
internal static class VerifyComparison
{
    /// <summary>The model's class-probability threshold is this much below the reference's, so a score of 0.50 vs 0.49 is no miss.</summary>
    public const float ScoreSlack = 0.1f;

    /// <summary>NMS IoU, as `detect` uses by default.</summary>
    public const float NmsIou = 0.45f;

    public static IReadOnlyList<HeadError> HeadErrors(ModelInfo info, IReadOnlyList<string> heads, IReadOnlyDictionary<string, Tensor> outputs, IReadOnlyDictionary<int, Tensor> reference)
    {
        var rows = new List<HeadError>();
        foreach (var name in heads)
        {
            var layer = LayerOf(info, name);
            if (!reference.TryGetValue(layer, out var expected))
            {
                throw new DarknetFormatException($"output '{name}' is said to feed layer {layer}, which is no detection head of the cfg.", null,
                    "pass the cfg the model was converted from.");
            }

            var actual = outputs[name];
            if (actual.Shape != expected.Shape)
            {
                throw new DarknetFormatException($"output '{name}' is {actual.Shape} but the cfg's head {layer} is {expected.Shape}.", null,
                    "pass the cfg the model was converted from.");
            }

            rows.Add(new HeadError(name, layer, actual.Shape, HeadDifference.Of(actual, expected)));
        }

        return rows;
    }

    /// <summary>The reference's detections above <paramref name="threshold"/>, after NMS.</summary>
    public static List<Yolo4Convert.Detection.Detection> ReferenceDetections(ModelInfo info, IReadOnlyDictionary<int, Tensor> reference, float threshold) =>
        DetectionAgreement.Detect(HeadSpec.FromMetadata(info), name => reference[LayerOf(info, name)], info.Width, info.Height, threshold, NmsIou, NmsOf(info));

    /// <summary>Matches the model's detections (above threshold − slack) to the reference's.</summary>
    public static DetectionAgreement Agreement(ModelInfo info, IReadOnlyDictionary<string, Tensor> outputs, List<Yolo4Convert.Detection.Detection> reference, float threshold, float minIou) =>
        DetectionAgreement.Compare(reference,
            DetectionAgreement.Detect(HeadSpec.FromMetadata(info), name => outputs[name], info.Width, info.Height, Math.Max(0f, threshold - ScoreSlack), NmsIou, NmsOf(info)),
            minIou);

    /// <summary>Darknet's NMS rule for the model (its cfg's nms_kind, from the metadata; plain IoU for models without the key).</summary>
    public static DarknetNms NmsOf(ModelInfo info) => ModelMetadata.Read(info).Nms;

    /// <summary>"NMS 0.45", or "NMS greedynms 0.45" when Darknet suppresses by another rule than IoU.</summary>
    public static string NmsText(ModelInfo info)
    {
        var nms = NmsOf(info);
        return $"NMS {(nms.Kind == DarknetNmsKind.Default ? string.Empty : nms.Name + " ")}{CommonOptions.F(NmsIou, "0.##")}";
    }

    /// <summary>The Darknet layer a head output comes from, by the model's metadata.</summary>
    public static int LayerOf(ModelInfo info, string name) =>
        ModelMetadata.Read(info).Heads.FirstOrDefault(h => h.OutputName == name)?.Layer
            ?? throw new ModelFormatException($"the model's metadata does not say which layer output '{Echo.Of(name)}' comes from (key '{Echo.Of(MetadataKeys.Head(name, MetadataKeys.Layer))}' missing).", null,
                "verify works on models written by yolo4convert.");

    /// <summary>", NaN/Inf: …" when a head holds non-finite values; empty otherwise.</summary>
    public static string NonFinite(HeadError r) =>
        r.Diff.HasNonFinite ? $", NaN/Inf: {r.Diff.NonFiniteActual:N0} in the model, {r.Diff.NonFiniteExpected:N0} in the reference" : string.Empty;

    public static string E(double v, string format = "E2") => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>"4/4 found (worst IoU 0.998)", plus what is missing, each class by its name.</summary>
    public static string Describe(DetectionAgreement a, Func<int, string> label)
    {
        var text = $"{a.Found}/{a.Matches.Count} found (worst IoU {CommonOptions.F(a.WorstIou, "0.000")})";
        var missing = a.Matches.Where(m => m.Model is null).Select(m =>
            $"{label(m.Reference.ClassId)} {CommonOptions.F(m.Reference.Confidence, "0.00")} at ({CommonOptions.F(m.Reference.X, "0.000")},{CommonOptions.F(m.Reference.Y, "0.000")}) best IoU {CommonOptions.F(m.Iou, "0.00")}").ToList();
        return missing.Count == 0 ? text : $"{text}; missing: {string.Join("; ", missing.Take(5))}{(missing.Count > 5 ? $"; … {missing.Count - 5} more" : string.Empty)}";
    }
}
