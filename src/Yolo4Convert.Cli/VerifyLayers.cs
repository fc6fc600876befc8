using System.Collections.Concurrent;
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
/// computed. The reference runs on a second thread and hands a copy of each compared layer's output over a queue of
/// two; the model's run compares each mapped value the moment it computes it. So neither pass keeps more than the
/// values it would keep anyway plus the few copies in flight.
/// </summary>
internal static class VerifyLayers
{
    // Reference copies waiting for the model: enough to overlap the passes, few enough to bound the memory.
    private const int InFlight = 2;

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
        using var queue = new BlockingCollection<(int Layer, Tensor Value)>(InFlight);
        using var stop = new CancellationTokenSource();
        var reference = Task.Run(() =>
        {
            try
            {
                return DarknetReference.Forward(weighted, shaped, scaled, (layer, y) =>
                {
                    if (compared.Contains(layer.Index))
                    {
                        queue.Add((layer.Index, new Tensor(y.Shape, y.Data.AsSpan(0, checked((int)y.Shape.Count)).ToArray())), stop.Token);
                    }
                });
            }
            finally
            {
                queue.CompleteAdding();
            }
        });

        var waiting = new Dictionary<int, Tensor>();
        Tensor Expected(int layer)
        {
            if (waiting.Remove(layer, out var early))
            {
                return early;
            }

            foreach (var (index, value) in queue.GetConsumingEnumerable())
            {
                if (index == layer)
                {
                    return value;
                }

                waiting[index] = value;
            }

            // The reference stopped before this layer: its exception says why.
            reference.GetAwaiter().GetResult();
            throw new InvalidOperationException($"the Darknet reference computed no output for layer {layer}");
        }

        var rows = new List<LayerError>();
        try
        {
            model.Run(pixels, [], precision, (name, actual) =>
            {
                if (map.TryGetLayer(name, out var index) && compared.Contains(index))
                {
                    rows.Add(LayerError.Of(layers[index], name, actual, Expected(index)));
                }
            });
        }
        catch
        {
            stop.Cancel();
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
        return (result, new LayerReport([.. rows.OrderBy(r => r.Layer.Index)], tolerance));
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

/// <summary>One compared layer: the reference's output, the model value standing for it, and how far apart they are.</summary>
/// <param name="Layer">The Darknet layer.</param>
/// <param name="Value">The model value holding the layer's output.</param>
/// <param name="Shape">The reference's output shape.</param>
/// <param name="ModelShape">The model value's shape.</param>
/// <param name="Diff">The difference, or null when the shapes differ.</param>
internal sealed record LayerError(Layer Layer, string Value, TensorShape Shape, TensorShape ModelShape, HeadDifference? Diff)
{
    public static LayerError Of(Layer layer, string value, Tensor actual, Tensor expected) =>
        actual.Shape.Count == expected.Shape.Count && actual.Data.Length >= expected.Shape.Count
            ? new(layer, value, expected.Shape, actual.Shape, HeadDifference.Of(new Tensor(expected.Shape, actual.Data.AsSpan(0, checked((int)expected.Shape.Count)).ToArray()), expected))
            : new(layer, value, expected.Shape, actual.Shape, null);

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
internal sealed record LayerReport(IReadOnlyList<LayerError> Rows, double Tolerance)
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
            return $"every layer within tolerance {tolerance}: {Rows.Count} layers compared, worst relative error {VerifyComparison.E(worst.Diff!.Value.MaxRelative)} (layer {worst.Layer.Index} [{worst.Layer.Kind}])";
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
