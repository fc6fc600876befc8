using System.CommandLine;
using System.Diagnostics;
using Yolo4Convert.Darknet;
using Yolo4Convert.Detection;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.MetadataContract;
using Yolo4Convert.Numerics;
using Yolo4Convert.Passes;
using Yolo4Convert.Reference;
using Yolo4Convert.Runtime;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Cli;

/// <summary>One run of `verify`, a method per step: load, run the reference, run the model, judge, report.</summary>
internal sealed class Verification(VerifyOptions options, ParseResult parse)
{
    private readonly ComputePrecision _compute = parse.GetValue(options.Precision) == WeightFormat.Fp16.Name ? ComputePrecision.Fp16 : ComputePrecision.Fp32;
    private readonly float _scoreThreshold = parse.GetValue(options.Threshold);
    private readonly bool _json = parse.GetValue(options.Json);
    private readonly WarningLog _warnings = WarningOutput.Log(parse, options.Strict);
    private LoadedModel _loaded = null!;
    private ModelInfo _info = null!;
    private List<string> _headNames = [];
    private VerifyFormat _format = null!;
    private double? _explicitTolerance;
    private double _limit;
    private float _iouLimit;
    private IReadOnlyList<string>? _classNames;
    private double _referenceSeconds;
    private List<Yolo4Convert.Detection.Detection> _expected = [];
    private List<VerifyRun> _runs = [];
    private PipelineCheck.Result? _decoded;
    private LayerReport? _layers;

    private string CfgPath => parse.GetRequiredValue(options.Cfg).ToString();

    private string WeightsPath => parse.GetRequiredValue(options.Weights).ToString();

    private string ModelPath => parse.GetRequiredValue(options.Model).ToString();

    public int Run(TextWriter stdout)
    {
        InputFiles.Require(("CFG", CfgPath), ("WEIGHTS", WeightsPath), ("MODEL", ModelPath), ("--image", parse.GetValue(options.Image)?.ToString()));

        using var progress = ProgressLine.Start(parse.InvocationConfiguration.Error, _json, "verify");
        progress.Step("reading the model, cfg and weights");
        LoadModel();
        var warnings = _warnings;
        var (shaped, weighted) = WarningOutput.Read(parse, warnings,
            () => DarknetReader.Read(CfgPath, WeightsPath, _info.Width, _info.Height, warnings));
        VerifySource.Check(_info, _headNames, shaped, CfgPath);
        _classNames = parse.GetValue(options.Names) is { } namesFile
            ? ClassNames.Read(namesFile, shaped.Network.Heads.Select(h => h.Classes).DefaultIfEmpty(0).Max(), "the cfg's heads")
            : ModelMetadata.Read(_info).ClassNames;
        var pixels = Pixels();

        IReadOnlyDictionary<int, Tensor> reference;
        if (parse.GetValue(options.Layers))
        {
            progress.Step("running the model and the Darknet reference layer by layer");
            reference = RunLayers(weighted, shaped, pixels);
        }
        else
        {
            progress.Step("running the Darknet reference");
            reference = RunReference(weighted, shaped, pixels);
        }

        // The passes run one after the other: only the reference's heads stay while the model runs.
        weighted = null;
        GC.Collect();
        _expected = VerifyComparison.ReferenceDetections(_info, reference, _scoreThreshold);
        RunModel(progress, pixels, reference);
        progress.Dispose();

        var checkedRun = _runs[^1];
        var worst = Math.Max(checkedRun.Worst, _decoded?.Difference.Worst ?? 0);
        var verdict = new VerifyVerdict(_format, _limit, _explicitTolerance is not null || _format.HeadErrorDecides, worst, checkedRun.Detections, checkedRun.HasNonFinite);
        var synthetic = parse.GetValue(options.Image) is null;
        ReportNonFinite(checkedRun);
        if (!_json && verdict.Note(synthetic) is { } note)
        {
            parse.InvocationConfiguration.Error.WriteLine(note);
        }

        if (_json)
        {
            WriteJson(stdout, checkedRun, worst, verdict);
        }
        else
        {
            WriteText(stdout, verdict, synthetic);
        }

        return verdict.Ok ? ExitCodes.Ok : ExitCodes.Mismatch;
    }

    private void LoadModel()
    {
        _loaded = LoadedModel.Load(ModelPath);
        _info = _loaded.Info;

        // A detector pipeline's raw heads are internal blobs of its decoder stage, named in the metadata.
        _headNames = _loaded.Pipeline is null ? [.. _info.Outputs.Select(o => o.Name)] : HeadSpec.FromMetadata(_info).Select(h => h.OutputName).ToList();
        _format = VerifyFormat.For(_loaded.StoredWeights, _compute);
        _explicitTolerance = parse.GetValue(options.Tolerance) is > 0 and var t ? t : null;
        _limit = _explicitTolerance ?? _format.Tolerance;
        _iouLimit = parse.GetValue(options.MinIou) is > 0 and var m ? m : _format.MinIou;
    }

    private Tensor Pixels()
    {
        var channels = _info.Grayscale ? 1 : 3;
        return parse.GetValue(options.Image) is { } file
            ? ImageFiles.Prepare(ImageFiles.Load(file.ToString()), _info.Width, _info.Height, letterbox: false, _info.Grayscale).Pixels
            : VerifyCommand.Pattern(channels, _info.Height, _info.Width);
    }

    private IReadOnlyDictionary<int, Tensor> RunReference(WeightedNetwork weighted, ShapedNetwork shaped, Tensor pixels)
    {
        var watch = Stopwatch.StartNew();
        var scaled = new Tensor(pixels.Shape, [.. pixels.Data.Select(v => v / 255f)]);
        var reference = DarknetReference.Forward(weighted, shaped, scaled);
        _referenceSeconds = watch.Elapsed.TotalSeconds;
        return reference;
    }

    // The reference's heads come from the side-by-side pass; the model's heads are then compared by the usual runs.
    private IReadOnlyDictionary<int, Tensor> RunLayers(WeightedNetwork weighted, ShapedNetwork shaped, Tensor pixels)
    {
        // Both passes' values are alive at once: what reading the files left behind goes first.
        GC.Collect();
        var watch = Stopwatch.StartNew();
        var scaled = new Tensor(pixels.Shape, [.. pixels.Data.Select(v => v / 255f)]);
        var model = _loaded.Pipeline?.Decoder ?? _loaded.Network!;
        (var heads, _layers) = VerifyLayers.Run(model, ModelPath, weighted, shaped, pixels, scaled, _compute, _limit);
        _referenceSeconds = watch.Elapsed.TotalSeconds;
        return heads;
    }

    private void RunModel(ProgressLine progress, Tensor pixels, IReadOnlyDictionary<int, Tensor> reference)
    {
        var watch = new Stopwatch();
        foreach (var p in _compute == ComputePrecision.Fp16 ? new[] { ComputePrecision.Fp32, ComputePrecision.Fp16 } : [ComputePrecision.Fp32])
        {
            watch.Restart();
            progress.Step(p == ComputePrecision.Fp16 ? "running the model in emulated half precision" : "running the model");
            var outputs = _loaded.Pipeline is { } pipeline ? pipeline.Run(pixels, keep: _headNames, precision: p).Decoded : _loaded.Network!.Run(pixels, p);
            var seconds = watch.Elapsed.TotalSeconds;
            _decoded = _loaded.Pipeline is null ? null : PipelineCheck.Compare(_loaded.Pipeline, outputs, reference);
            _runs.Add(new VerifyRun(p, VerifyComparison.HeadErrors(_info, _headNames, outputs, reference),
                VerifyComparison.Agreement(_info, outputs, _expected, _scoreThreshold, _iouLimit), seconds));
        }
    }

    private string Label(int id) => _classNames is not null && id < _classNames.Count ? _classNames[id] : $"class {id}";

    private void ReportNonFinite(VerifyRun checkedRun)
    {
        var broken = checkedRun.Heads.Where(r => r.Diff.HasNonFinite).ToList();
        if (broken.Count > 0)
        {
            parse.InvocationConfiguration.Error.WriteLine(
                $"error: {broken.Count} head{(broken.Count == 1 ? string.Empty : "s")} hold NaN/Inf values{(checkedRun.Precision == ComputePrecision.Fp16 ? " in half precision" : string.Empty)}: "
                + string.Join("; ", broken.Select(r => $"{r.Head} (layer {r.Layer}) {r.Diff.NonFiniteActual:N0} of {r.Shape.Count:N0} in the model, {r.Diff.NonFiniteExpected:N0} in the Darknet reference"))
                + ". Hint: check the weights for NaN/Inf with 'yolo4convert inspect CFG WEIGHTS'.");
        }
    }

    private void WriteJson(TextWriter stdout, VerifyRun checkedRun, double worst, VerifyVerdict verdict)
    {
        var decoded = _decoded;
        object Heads(VerifyRun r) => r.Heads.Select(h => new { name = h.Head, layer = h.Layer, shape = new[] { h.Shape.C, h.Shape.H, h.Shape.W }, maxAbsoluteError = h.Abs, maxRelativeError = h.Rel, nonFiniteModel = h.Diff.NonFiniteActual, nonFiniteReference = h.Diff.NonFiniteExpected });
        object Detections(VerifyRun r) => new
        {
            found = r.Detections.Found,
            worstIou = VerifyCommand.Finite(r.Detections.WorstIou),
            missing = r.Detections.Matches.Where(m => m.Model is null).Select(m => new { classId = m.Reference.ClassId, label = Label(m.Reference.ClassId), confidence = VerifyCommand.Finite(m.Reference.Confidence), x = VerifyCommand.Finite(m.Reference.X), y = VerifyCommand.Finite(m.Reference.Y), width = VerifyCommand.Finite(m.Reference.Width), height = VerifyCommand.Finite(m.Reference.Height), bestIou = VerifyCommand.Finite(m.Iou) }),
        };
        stdout.WriteLine(Json.Serialize(new
        {
            heads = Heads(checkedRun),
            decoded = decoded is null ? null : new
            {
                boxes = decoded.Boxes,
                maxConfidenceError = decoded.Difference.Confidence,
                maxCenterError = decoded.Difference.Center,
                maxSizeRelativeError = decoded.Difference.Size,
            },
            worstRelativeError = worst,
            tolerance = _limit,
            verdictBasis = verdict.Basis,
            ok = verdict.Ok,
            modelSeconds = _runs[0].Seconds,
            referenceSeconds = _referenceSeconds,
            precision = checkedRun.Name,
            storedWeights = _loaded.StoredWeights.Name,
            format = _format.Name,
            detections = new { threshold = _scoreThreshold, modelThreshold = Math.Max(0f, _scoreThreshold - VerifyComparison.ScoreSlack), minIou = _iouLimit, reference = _expected.Count, found = checkedRun.Detections.Found, allFound = checkedRun.Detections.AllFound, nothingCompared = verdict.NothingCompared },
            runs = _runs.Select(r => new { precision = r.Name, heads = Heads(r), worstRelativeError = r.Worst, detections = Detections(r), seconds = r.Seconds }),
            layers = _layers?.Json(),
            warnings = WarningOutput.Json(_warnings),
        }));
    }

    private void WriteText(TextWriter stdout, VerifyVerdict verdict, bool synthetic)
    {
        var fp16 = _runs.Count > 1 ? _runs[1] : null;
        stdout.WriteLine($"model run {CommonOptions.F(_runs[0].Seconds, "0.00")} s, Darknet reference {CommonOptions.F(_referenceSeconds, "0.00")} s, input {_info.Width}x{_info.Height}" +
            (_loaded.StoredWeights == WeightFormat.Fp32 && fp16 is null ? string.Empty : $", stored weights {_loaded.StoredWeights.Name}") +
            (fp16 is null ? string.Empty : $", fp16 emulation {CommonOptions.F(fp16.Seconds, "0.00")} s"));
        for (var i = 0; i < _runs[0].Heads.Count; i++)
        {
            var r = _runs[0].Heads[i];
            var line = $"{r.Head} (layer {r.Layer}, {r.Shape}): max abs error {VerifyComparison.E(r.Abs)}, max rel error {VerifyComparison.E(r.Rel)}{VerifyComparison.NonFinite(r)}";
            stdout.WriteLine(fp16 is null ? line : $"{line}; fp16 compute: max abs error {VerifyComparison.E(fp16.Heads[i].Abs)}, max rel error {VerifyComparison.E(fp16.Heads[i].Rel)}{VerifyComparison.NonFinite(fp16.Heads[i])}");
        }

        if (_decoded is { } decoded)
        {
            stdout.WriteLine(
                $"decoded {decoded.Boxes} boxes before NMS vs Darknet's decode of the reference heads{(fp16 is null ? string.Empty : " (fp16 compute)")}: max confidence error {VerifyComparison.E(decoded.Difference.Confidence)}, " +
                $"max x/y error {VerifyComparison.E(decoded.Difference.Center)}, max w/h relative error {VerifyComparison.E(decoded.Difference.Size)}");
        }

        stdout.WriteLine($"detections (class probability > {CommonOptions.F(_scoreThreshold, "0.##")}, {VerifyComparison.NmsText(_info)}): reference {_expected.Count}, " +
            $"model {VerifyComparison.Describe(_runs[0].Detections, Label)}" + (fp16 is null ? string.Empty : $"; fp16 compute {VerifyComparison.Describe(fp16.Detections, Label)}") +
            $" (same class, IoU >= {CommonOptions.F(_iouLimit, "0.0#")}, model threshold {CommonOptions.F(Math.Max(0f, _scoreThreshold - VerifyComparison.ScoreSlack), "0.0#")})");
        foreach (var line in _layers?.Lines() ?? [])
        {
            stdout.WriteLine(line);
        }

        stdout.WriteLine(verdict.Line(fp16 is not null, synthetic));
    }
}
