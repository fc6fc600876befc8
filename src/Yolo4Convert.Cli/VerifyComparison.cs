using System.Globalization;
using Yolo4Convert.Detection;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
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

    /// <summary>
    /// Default tolerance (largest head difference relative to the head's largest magnitude) and minimum IoU of a
    /// matched detection, by the coarser of the stored weights and the compute precision (fp32 weights computed in
    /// fp16 count as fp16; a format no row names falls to the last row). Measured on yolov4 (seeded weights, 608) and
    /// yolo-fastest (real weights, the three photos) with margin; see the README's table.
    /// </summary>
    public static readonly IReadOnlyList<VerifyDefault> DefaultTable =
    [
        new(["fp32"], 1e-4, 0.9f),
        new(["fp16"], 2e-2, 0.9f),
        new(["linear8"], 5e-2, 0.8f),
        new(["lut8"], 1e-1, 0.8f),
        new(["lut6", "lut7"], 2.5e-1, 0.5f),
        new(["lut5", "lut4", "lut3", "lut2", "lut1"], 5e-1, 0.5f) { Label = "lut1-lut5" },
    ];

    /// <summary>The default tolerance and minimum IoU for a model's stored weights run at a compute precision.</summary>
    public static (double Tolerance, float MinIou) Defaults(string storedWeights, ComputePrecision precision)
    {
        var format = storedWeights == "fp32" && precision == ComputePrecision.Fp16 ? "fp16" : storedWeights;
        var row = DefaultTable.FirstOrDefault(r => r.Formats.Contains(format)) ?? DefaultTable[^1];
        return (row.Tolerance, row.MinIou);
    }

    /// <summary>The help's words for a default that depends on the model, e.g. "per format: 1e-4 for fp32, 2e-2 for fp16, …".</summary>
    public static string DefaultsInWords(Func<VerifyDefault, double> value) =>
        "per format (the coarser of the stored weights and --precision): "
        + string.Join(", ", DefaultTable.GroupBy(value).Select(g => $"{Number(g.Key)} for {string.Join(" and ", g.Select(r => r.Label))}"));

    private static string Number(double v)
    {
        return v < 0.1 ? v.ToString("0.##E0", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal) : v.ToString("0.####", CultureInfo.InvariantCulture);
    }

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
        DetectionAgreement.Detect(HeadSpec.FromMetadata(info), name => reference[LayerOf(info, name)], info.Width, info.Height, threshold, NmsIou);

    /// <summary>Matches the model's detections (above threshold − slack) to the reference's.</summary>
    public static DetectionAgreement Agreement(ModelInfo info, IReadOnlyDictionary<string, Tensor> outputs, List<Yolo4Convert.Detection.Detection> reference, float threshold, float minIou) =>
        DetectionAgreement.Compare(reference,
            DetectionAgreement.Detect(HeadSpec.FromMetadata(info), name => outputs[name], info.Width, info.Height, Math.Max(0f, threshold - ScoreSlack), NmsIou),
            minIou);

    private static int LayerOf(ModelInfo info, string name) =>
        info.UserDefined.TryGetValue($"head.{name}.layer", out var l) && int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed
            : throw new DarknetFormatException($"the model's metadata does not say which layer output '{Echo.Of(name)}' comes from (key 'head.{Echo.Of(name)}.layer' missing or not a number).", null,
                "verify works on models written by yolo4convert.");

    /// <summary>", NaN/Inf: …" when a head holds non-finite values; empty otherwise.</summary>
    public static string NonFinite(HeadError r) =>
        r.Diff.HasNonFinite ? $", NaN/Inf: {r.Diff.NonFiniteActual:N0} in the model, {r.Diff.NonFiniteExpected:N0} in the reference" : string.Empty;

    public static string E(double v, string format = "E2") => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>"4/4 found (worst IoU 0.998)", plus what is missing.</summary>
    public static string Describe(DetectionAgreement a)
    {
        var text = $"{a.Found}/{a.Matches.Count} found (worst IoU {CommonOptions.F(a.WorstIou, "0.000")})";
        var missing = a.Matches.Where(m => m.Model is null).Select(m =>
            $"class {m.Reference.ClassId} {CommonOptions.F(m.Reference.Confidence, "0.00")} at ({CommonOptions.F(m.Reference.X, "0.000")},{CommonOptions.F(m.Reference.Y, "0.000")}) best IoU {CommonOptions.F(m.Iou, "0.00")}").ToList();
        return missing.Count == 0 ? text : $"{text}; missing: {string.Join("; ", missing.Take(5))}{(missing.Count > 5 ? $"; … {missing.Count - 5} more" : string.Empty)}";
    }
}
