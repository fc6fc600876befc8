using Yolo4Convert.Detection;

namespace Yolo4Convert.Cli;

/// <summary>
/// The verdict of `verify`. Every run needs finite heads and every reference detection found. For float weights (or
/// with an explicit --tolerance) the worst head error must also stay within the tolerance. For quantized weights the
/// head error is informative and the detections decide; then a run whose reference finds no detection at all (the
/// synthetic pattern, or a photo without objects) has shown nothing and fails, saying so: a pass would vouch for a
/// model nobody compared.
/// </summary>
internal sealed record VerifyVerdict(VerifyFormat Format, double Tolerance, bool HeadErrorDecides, double Worst, DetectionAgreement Detections, bool NonFinite)
{
    /// <summary>Whether the worst head error is within the tolerance.</summary>
    public bool HeadsWithin => Worst <= Tolerance;

    /// <summary>The detections decide, and the reference found none: nothing was compared.</summary>
    public bool NothingCompared => !HeadErrorDecides && Detections.Matches.Count == 0;

    /// <summary>Whether the model passes.</summary>
    public bool Ok => !NonFinite && Detections.AllFound && (HeadErrorDecides ? HeadsWithin : !NothingCompared);

    /// <summary>What decides: "head error and detections" or "detections" (the JSON's <c>verdictBasis</c>).</summary>
    public string Basis => HeadErrorDecides ? "headErrorAndDetections" : "detections";

    /// <summary>The last line of the text output.</summary>
    public string Line(bool fp16Compute, bool syntheticInput)
    {
        var tolerance = VerifyComparison.E(Tolerance, VerifyComparison.E(Tolerance, "E0") == VerifyComparison.E(Tolerance, "E1").Replace(".0E", "E", StringComparison.Ordinal) ? "E0" : "E1");
        var compute = fp16Compute ? "fp16 compute, " : string.Empty;
        var head = HeadErrorDecides
            ? $"worst relative error {VerifyComparison.E(Worst)} ({compute}tolerance {tolerance})"
            : $"worst relative error {VerifyComparison.E(Worst)} ({compute}informative for {Format.Name} weights; the detections decide)";
        var detections = NothingCompared
            ? $", no reference detection to compare{(syntheticInput ? " on the synthetic input" : string.Empty)}"
            : !Detections.AllFound ? ", detections missing"
            : HeadErrorDecides ? string.Empty : $", {Detections.Found}/{Detections.Matches.Count} detections found";
        return $"{head}{detections}: {(Ok ? "ok" : "FAIL")}";
    }

    /// <summary>The note printed on stderr when nothing was compared; null otherwise.</summary>
    public string? Note(bool syntheticInput) => NothingCompared
        ? $"note: for {Format.Name} weights the verdict rests on detections, and the Darknet reference found none{(syntheticInput ? " on the synthetic input" : " in this image")}, so nothing was verified. "
            + "Hint: pass --image with a photo of objects the model detects, or --tolerance to judge the head error instead."
        : null;
}
