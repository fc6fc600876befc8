using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Reference;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Cli;

/// <summary>
/// `verify --layers`: runs the model and the Darknet reference side by side and compares every Darknet layer's output
/// (after its activation) with the model value that stands for it (<see cref="LayerValueMap"/>), as both are
/// computed. The reference runs on a second thread and hands each compared layer's output over (<see cref="Handoff"/>),
/// then waits until the model's run has computed the same layer and compared the two in place. Nothing is copied and
/// neither pass keeps a value longer than its own liveness plan does.
/// </summary>
internal static class VerifyLayers
{
    /// <summary>
    /// Runs both passes; returns the reference's heads (as <see cref="DarknetReference.Forward(WeightedNetwork, ShapedNetwork, Tensor)"/>)
    /// and one row per compared layer, in layer order.
    /// </summary>
    public static (IReadOnlyDictionary<int, Tensor> Heads, LayerReport Report) Run(
        IModelRuntime model, string modelPath, WeightedNetwork weighted, ShapedNetwork shaped, Tensor pixels, Tensor scaled, ComputePrecision precision, double tolerance)
    {
        var map = Map(model, modelPath, shaped);
        var layers = shaped.Network.Layers;
        var heads = shaped.Network.Heads.Select(h => h.Index).ToHashSet();
        var compared = map.Values.Keys.Where(l => l < layers.Length && !heads.Contains(l)).ToHashSet();
        var handoff = new Handoff();
        var reference = Task.Run(() =>
        {
            try
            {
                return DarknetReference.Forward(weighted, shaped, scaled, (layer, y) =>
                {
                    if (compared.Contains(layer.Index))
                    {
                        handoff.Offer(layer.Index, y);
                    }
                });
            }
            finally
            {
                handoff.Close();
            }
        });

        var rows = new List<LayerError>();
        try
        {
            model.Run(pixels, [], precision, (name, actual) =>
            {
                if (map.TryGetLayer(name, out var index) && compared.Contains(index)
                    && !handoff.Use(index, expected => rows.Add(LayerError.Of(layers[index], name, actual, expected))))
                {
                    // The reference stopped before this layer: its exception says why.
                    reference.GetAwaiter().GetResult();
                    throw new InvalidOperationException($"the Darknet reference computed no output for layer {index}");
                }
            });
        }
        catch
        {
            handoff.Cancel();
            try
            {
                reference.Wait();
            }
            catch (AggregateException)
            {
                // The model's error is the one to report.
            }

            throw;
        }

        var result = reference.GetAwaiter().GetResult();
        return (result, new LayerReport(rows, tolerance, [.. layers.Select(l => l.Index).Where(l => !compared.Contains(l))]));
    }

    /// <summary>The model's values by Darknet layer; a model whose values are not named after Darknet layers is refused.</summary>
    public static LayerValueMap Map(IModelRuntime model, string modelPath, ShapedNetwork shaped)
    {
        var map = LayerValueMap.Of(model.ComputedValues);
        if (!map.Values.Keys.Any(l => l < shaped.Network.Layers.Length))
        {
            throw new ModelFormatException(
                "--layers cannot pair the model's values with the cfg's layers: none is named after a Darknet layer ('005_leaky' in a .mlmodel, 'l005_leaky' in a .mlpackage).",
                new SourceLocation(modelPath), "--layers works on models converted by yolo4convert; without --layers, verify compares the heads.");
        }

        return map;
    }
}

/// <summary>
/// Hands one tensor at a time from the reference's thread to the model's: the reference offers a layer's output and
/// waits until the model has used it (its buffer may be reused right after), or until the model's run has failed.
/// </summary>
internal sealed class Handoff
{
    private readonly object _gate = new();
    private (int Layer, Tensor Value)? _offered;
    private bool _closed;
    private bool _cancelled;

    /// <summary>The reference's side: offers <paramref name="layer"/>'s output and waits until it has been used.</summary>
    public void Offer(int layer, Tensor value)
    {
        lock (_gate)
        {
            _offered = (layer, value);
            Monitor.PulseAll(_gate);
            while (_offered is not null && !_cancelled)
            {
                Monitor.Wait(_gate);
            }

            if (_cancelled)
            {
                throw new OperationCanceledException("the model's run failed");
            }
        }
    }

    /// <summary>The reference has finished (or failed): nothing more will be offered.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The model's run failed: a waiting or later offer returns with an exception.</summary>
    public void Cancel()
    {
        lock (_gate)
        {
            _cancelled = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The model's side: waits for <paramref name="layer"/>'s output, uses it, then lets the reference go on; false if the reference ended first.</summary>
    public bool Use(int layer, Action<Tensor> use)
    {
        Tensor value;
        lock (_gate)
        {
            while (_offered is null && !_closed)
            {
                Monitor.Wait(_gate);
            }

            if (_offered is not { } offered)
            {
                return false;
            }

            value = offered.Layer == layer ? offered.Value
                : throw new InvalidOperationException($"the model computed layer {layer}'s value while the reference offers layer {offered.Layer}");
        }

        try
        {
            use(value);
        }
        finally
        {
            lock (_gate)
            {
                _offered = null;
                Monitor.PulseAll(_gate);
            }
        }

        return true;
    }
}

/// <summary>One compared layer: the reference's output, the model value standing for it, and how far apart they are.</summary>
/// <param name="Layer">The Darknet layer.</param>
/// <param name="Value">The model value holding the layer's output.</param>
/// <param name="Shape">The reference's output shape.</param>
/// <param name="ModelShape">The model value's shape.</param>
/// <param name="Diff">The difference, or null when the shapes differ.</param>
internal sealed record LayerError(Layer Layer, string Value, TensorShape Shape, TensorShape ModelShape, HeadDifference? Diff)
{
    public static LayerError Of(Layer layer, string value, Tensor actual, Tensor expected)
    {
        // Element by element in C×H×W order: an ML Program's [1, C, 1, 1] is the reference's C×1×1.
        var count = checked((int)expected.Shape.Count);
        return actual.Shape.Count == count && actual.Data.Length >= count
            ? new(layer, value, expected.Shape, actual.Shape, HeadDifference.Of(actual.Data.AsSpan(0, count), expected.Data.AsSpan(0, count)))
            : new(layer, value, expected.Shape, actual.Shape, null);
    }

    /// <summary>Whether the model's value matches within <paramref name="tolerance"/> (same size, finite, close).</summary>
    public bool Within(double tolerance) => Diff is { } d && !d.HasNonFinite && d.MaxRelative <= tolerance;

    /// <summary>"file.cfg:212": where the layer's section starts.</summary>
    public string Where => $"{Path.GetFileName(Layer.Source.File)}:{Layer.Source.Line}";

    /// <summary>How the layer differs, for the summary line.</summary>
    public string Difference => Diff switch
    {
        null => $"the model's value is {ModelShape}, the reference's {Shape}",
        { HasNonFinite: true } d => $"NaN/Inf: {d.NonFiniteActual:N0} in the model, {d.NonFiniteExpected:N0} in the reference",
        { } d => $"relative error {VerifyComparison.E(d.MaxRelative)}",
    };
}

/// <summary>The rows of `verify --layers` and the first layer beyond the tolerance.</summary>
/// <param name="Rows">The compared layers, in layer order.</param>
/// <param name="Tolerance">The largest relative error a layer may have.</param>
/// <param name="NotCompared">The layers with no value of their own in the model (detection heads, routes of one layer, dropout).</param>
internal sealed record LayerReport(IReadOnlyList<LayerError> Rows, double Tolerance, IReadOnlyList<int> NotCompared)
{
    /// <summary>The first compared layer beyond the tolerance, or null.</summary>
    public LayerError? FirstDivergence => Rows.FirstOrDefault(r => !r.Within(Tolerance));

    /// <summary>The table and the summary line.</summary>
    public IEnumerable<string> Lines()
    {
        string[] header = ["layer", "type", "cfg line", "shape", "model value", "max abs", "max rel"];
        var cells = Rows.Select(r => new[]
        {
            r.Layer.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Layer.Kind, r.Where, r.Shape.ToString(), r.Value,
            r.Diff is { } d ? VerifyComparison.E(d.MaxAbsolute) : "-", r.Diff is { } e ? VerifyComparison.E(e.MaxRelative) : "-",
            r.Within(Tolerance) ? string.Empty : r.Diff is null ? $"model {r.ModelShape}" : "beyond tolerance",
        }).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(i => cells.Select(c => c[i].Length).Append(header[i].Length).Max()).ToArray();
        string Row(IReadOnlyList<string> c) => string.Join("  ", Enumerable.Range(0, c.Count).Select(i =>
            i >= widths.Length ? c[i] : i is 0 or 5 or 6 ? c[i].PadLeft(widths[i]) : c[i].PadRight(widths[i]))).TrimEnd();
        yield return Row(header);
        foreach (var c in cells)
        {
            yield return Row(c);
        }

        yield return Summary();
    }

    /// <summary>"first divergence: layer 30 [convolutional] (x.cfg:212), relative error 3.10E-01; layers 0–29 match to 2.00E-06", or that every layer matches.</summary>
    public string Summary()
    {
        var tolerance = VerifyFormat.Number(Tolerance);
        if (Rows.Count == 0)
        {
            return "no layer compared: every layer of the cfg that the model computes is a detection head";
        }

        if (FirstDivergence is not { } first)
        {
            var worst = Rows.MaxBy(r => r.Diff!.Value.MaxRelative)!;
            return $"every layer within tolerance {tolerance}: {Rows.Count} of {Rows.Count + NotCompared.Count} layers compared (the others have no value of their own in the model), worst relative error {VerifyComparison.E(worst.Diff!.Value.MaxRelative)} (layer {worst.Layer.Index} [{worst.Layer.Kind}])";
        }

        var before = Rows.TakeWhile(r => !ReferenceEquals(r, first)).ToList();
        var matched = before.Count == 0
            ? "it is the first layer compared"
            : $"layers {before[0].Layer.Index}–{before[^1].Layer.Index} match to {VerifyComparison.E(before.Max(r => r.Diff!.Value.MaxRelative))}";
        return $"first divergence: layer {first.Layer.Index} [{first.Layer.Kind}] ({first.Where}), {first.Difference}; {matched} (tolerance {tolerance})";
    }

    /// <summary>The report as `--json` gives it.</summary>
    public object Json() => new
    {
        tolerance = Tolerance,
        compared = Rows.Count,
        notCompared = NotCompared,
        rows = Rows.Select(r => new
        {
            layer = r.Layer.Index,
            type = r.Layer.Kind,
            line = r.Layer.Source.Line,
            source = r.Where,
            shape = new[] { r.Shape.C, r.Shape.H, r.Shape.W },
            value = r.Value,
            modelShape = new[] { r.ModelShape.C, r.ModelShape.H, r.ModelShape.W },
            maxAbsoluteError = r.Diff is { } d ? VerifyCommand.Finite(d.MaxAbsolute) : null,
            maxRelativeError = r.Diff is { } e ? VerifyCommand.Finite(e.MaxRelative) : null,
            nonFiniteModel = r.Diff?.NonFiniteActual ?? 0,
            nonFiniteReference = r.Diff?.NonFiniteExpected ?? 0,
            withinTolerance = r.Within(Tolerance),
        }),
        firstDivergence = FirstDivergence is { } f ? new
        {
            layer = f.Layer.Index,
            type = f.Layer.Kind,
            line = f.Layer.Source.Line,
            source = f.Where,
            maxRelativeError = f.Diff is { } d ? VerifyCommand.Finite(d.MaxRelative) : null,
            message = Summary(),
        } : null,
    };
}
