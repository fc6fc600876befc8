using System.Collections.Immutable;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Ir;

/// <summary>How a head's raw box size becomes a multiple of its anchor.</summary>
public enum SizeGrowth
{
    /// <summary>e^t (Darknet's [yolo] and [region]).</summary>
    Exp,

    /// <summary>(2t)² = 4t², written as t·t with the 4 folded into the anchor sizes ([yolo] new_coords=1).</summary>
    Square,
}

/// <summary>How a head's class probability is made from its raw class entries.</summary>
public enum ClassProbability
{
    /// <summary>σ(cls): [yolo].</summary>
    Logistic,

    /// <summary>Softmax over the classes of one anchor: [region] softmax=1.</summary>
    Softmax,

    /// <summary>The entries as they are (the convolution's logistic already ran): [yolo] new_coords=1.</summary>
    AsIs,
}

/// <summary>
/// Everything needed to decode one raw head (A·<see cref="Entries"/> × H × W) into candidate rows, as data: the
/// targets' decoders only lay these numbers out and emit their ops. Per candidate (cell, anchor), with t the raw
/// entries: x = xyIn·<see cref="ScaleX"/> + gridX, y = xyIn·<see cref="ScaleY"/> + gridY (xyIn = σ(t) when
/// <see cref="Logistic"/>, else t); w = grow(tw)·sizeW, h = grow(th)·sizeH; confidence = objectness × class
/// probability (objectness σ(obj) when <see cref="Logistic"/>), times 1 − the mean of the four uncertainties
/// u_i = σ(t_i)·UncertaintyScale[i] + UncertaintyOffset[i] when <see cref="HasUncertainty"/> ([Gaussian_yolo]).
/// x, y, w, h are the entries 0, 1, 2, 3 times <see cref="CoordinateStep"/>; objectness and the classes follow.
/// Rows come cell by cell (grid row, then column), anchor by anchor inside a cell, starting at
/// <see cref="FirstRow"/> of the decoder's matrices.
/// </summary>
/// <param name="Head">The IR head decoded.</param>
/// <param name="Anchors">A: anchor boxes of the head.</param>
/// <param name="Classes">K: classes.</param>
/// <param name="GridHeight">H: grid rows.</param>
/// <param name="GridWidth">W: grid columns.</param>
/// <param name="Logistic">Whether x, y, objectness (and classes, unless <see cref="Probability"/> says otherwise) go through σ.</param>
/// <param name="ScaleX">The factor of the x term: scale_x_y / W.</param>
/// <param name="ScaleY">The factor of the y term: scale_x_y / H.</param>
/// <param name="GridOffsets">Per cell (row-major), x then y: (col − (s−1)/2)/W and (row − (s−1)/2)/H; 2·H·W values.</param>
/// <param name="Growth">e^t or t² for the box size.</param>
/// <param name="AnchorSizes">Per anchor, w then h, normalised to the input (with new_coords' factor 4): 2·A values.</param>
/// <param name="Probability">How the class entries become probabilities.</param>
/// <param name="FirstRow">The head's first row in the decoded matrices.</param>
/// <param name="CoordinateStep">1, or 2 when an uncertainty follows each of x, y, w, h ([Gaussian_yolo]: x, σx, y, σy, w, σw, h, σh).</param>
/// <param name="UncertaintyScale">[Gaussian_yolo]: per uncertainty (σx, σy, σw, σh) the factor of σ(t): s, s, 1, 1 (s = scale_x_y); empty otherwise.</param>
/// <param name="UncertaintyOffset">[Gaussian_yolo]: per uncertainty the term added: −(s−1)/2, −(s−1)/2, 0, 0; empty otherwise.</param>
public sealed record HeadDecoding(
    IrHead Head, int Anchors, int Classes, int GridHeight, int GridWidth, bool Logistic, float ScaleX, float ScaleY,
    ImmutableArray<float> GridOffsets, SizeGrowth Growth, ImmutableArray<float> AnchorSizes, ClassProbability Probability, int FirstRow,
    int CoordinateStep = 1, ImmutableArray<float> UncertaintyScale = default, ImmutableArray<float> UncertaintyOffset = default)
{
    /// <summary>The entries per anchor: 5 + K, or 9 + K with the uncertainties.</summary>
    public int Entries => Classes + (4 * CoordinateStep) + 1;

    /// <summary>The entry of the objectness: 4, or 8 with the uncertainties.</summary>
    public int ObjectnessEntry => 4 * CoordinateStep;

    /// <summary>The entry of the first class.</summary>
    public int ClassEntry => ObjectnessEntry + 1;

    /// <summary>Whether the confidence is scaled by 1 − the mean uncertainty (entries 1, 3, 5, 7).</summary>
    public bool HasUncertainty => !UncertaintyScale.IsDefaultOrEmpty;

    /// <summary>H·W: the grid cells.</summary>
    public int Cells => GridHeight * GridWidth;

    /// <summary>H·W·A: the head's candidate rows.</summary>
    public int Rows => Cells * Anchors;

    /// <summary>
    /// The plan of every head of a network whose input is <paramref name="netWidth"/>×<paramref name="netHeight"/>;
    /// refuses heads one confidence matrix cannot hold (different class counts), heads whose channels do not match
    /// their anchors and classes, and [region] heads without softmax.
    /// </summary>
    public static ImmutableArray<HeadDecoding> Plan(IReadOnlyList<IrHead> heads, int netWidth, int netHeight)
    {
        ArgumentNullException.ThrowIfNull(heads);
        if (heads.Count == 0)
        {
            return [];
        }

        var classes = heads[0].Classes;
        if (heads.FirstOrDefault(h => h.Classes != classes) is { } other)
        {
            throw new UnsupportedFeatureException(
                $"layer {other.Layer} [{other.KindName}] has classes={other.Classes} but layer {heads[0].Layer} has classes={classes}; one confidence matrix needs the same classes in every head.",
                other.Source);
        }

        var plan = ImmutableArray.CreateBuilder<HeadDecoding>(heads.Count);
        var row = 0;
        foreach (var head in heads)
        {
            var decoding = Of(head, netWidth, netHeight, row);
            plan.Add(decoding);
            row += decoding.Rows;
        }

        return plan.MoveToImmutable();
    }

    /// <summary>The rows of all heads together.</summary>
    public static int TotalRows(IReadOnlyList<HeadDecoding> plan) => plan.Sum(h => h.Rows);

    // Darknet's math (yolo_layer.c get_yolo_box, region_layer.c get_region_box), cell (col, row), grid W×H:
    // [yolo] x = (col + σ(tx)·s − (s−1)/2)/W, w = e^tw·anchor_w/net_w, confidence = σ(obj)·σ(cls);
    // [yolo] new_coords=1: x = (col + tx·s − (s−1)/2)/W, w = (2·tw)²·anchor_w/net_w, confidence = obj·cls;
    // [region] x = (col + σ(tx))/W, w = e^tw·anchor_w/W, confidence = σ(obj)·softmax(cls);
    // [Gaussian_yolo] (gaussian_yolo_layer.c get_gaussian_yolo_box, get_gaussian_yolo_detections): [yolo]'s x, y, w, h
    // from entries 0, 2, 4, 6, confidence = σ(obj)·σ(cls)·(1 − mean(σx', σy', σw, σh)), σx' = σ(t)·s − (s−1)/2.
    private static HeadDecoding Of(IrHead head, int netWidth, int netHeight, int firstRow)
    {
        var a = head.AnchorCount;
        var k = head.Classes;
        var (gh, gw) = (head.Shape.H, head.Shape.W);
        if (head.Shape.C != a * head.Entries)
        {
            throw new UnsupportedFeatureException(
                $"layer {head.Layer} [{head.KindName}] reads {head.Shape.C} channels; {a} anchors × ({head.Entries - k} + {k} classes) = {a * head.Entries} were expected.", head.Source);
        }

        if (head.Kind == HeadKind.Region && !head.Softmax)
        {
            throw new UnsupportedFeatureException(
                $"layer {head.Layer} [region] has softmax=0; the decoder follows yolov2's region head, which applies softmax to the classes.",
                head.Source, "set softmax=1 as yolov2 does, or convert without --nms.");
        }

        var logistic = !head.NewCoords;
        var cells = gh * gw;
        var offset = -0.5f * (head.ScaleXY - 1f);
        var grid = new float[2 * cells];
        for (var cell = 0; cell < cells; cell++)
        {
            grid[2 * cell] = ((cell % gw) + offset) / gw;
            grid[(2 * cell) + 1] = ((cell / gw) + offset) / gh;
        }

        // Anchors are pixels for [yolo] and [Gaussian_yolo] (over the input size), grid cells for [region] (over the grid size).
        var (divW, divH) = head.Kind != HeadKind.Region ? ((float)netWidth, (float)netHeight) : (gw, gh);
        var factor = head.NewCoords ? 4f : 1f;
        var sizes = new float[2 * a];
        for (var anchor = 0; anchor < a; anchor++)
        {
            sizes[2 * anchor] = factor * head.Anchors[2 * anchor] / divW;
            sizes[(2 * anchor) + 1] = factor * head.Anchors[(2 * anchor) + 1] / divH;
        }

        var probability = head.Kind == HeadKind.Region ? ClassProbability.Softmax : logistic ? ClassProbability.Logistic : ClassProbability.AsIs;

        // forward_gaussian_yolo_layer scales x and σx (y and σy) alike: σ(t)·s − (s−1)/2; σw and σh are σ(t).
        var gaussian = head.Kind == HeadKind.GaussianYolo;
        ImmutableArray<float> uncertaintyScale = gaussian ? [head.ScaleXY, head.ScaleXY, 1f, 1f] : [];
        ImmutableArray<float> uncertaintyOffset = gaussian ? [offset, offset, 0f, 0f] : [];
        return new HeadDecoding(
            head, a, k, gh, gw, logistic, head.ScaleXY / gw, head.ScaleXY / gh, ImmutableArray.Create(grid),
            head.NewCoords ? SizeGrowth.Square : SizeGrowth.Exp, ImmutableArray.Create(sizes), probability, firstRow,
            gaussian ? 2 : 1, uncertaintyScale, uncertaintyOffset);
    }
}
