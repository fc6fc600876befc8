using CoreML.Specification;
using Google.Protobuf.Collections;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>The padding a sliding window (convolution, pooling) adds on each side of the map.</summary>
internal readonly record struct Padding(int Top, int Bottom, int Left, int Right);

/// <summary>Output size and padding of a sliding window.</summary>
internal readonly record struct WindowGeometry(long OutH, long OutW, Padding Pad);

/// <summary>
/// Sliding-window geometry, once for the shape rules and the evaluation: the plain formulas (explicit padding, or
/// "same" padding with out = ceil(in / stride)) and Core ML's way of asking for them (ValidPadding, SamePadding).
/// </summary>
internal static class Window
{
    /// <summary>out = ceil(in / stride); the odd padding pixel goes to the bottom/right, or the top/left when <paramref name="topLeftHeavy"/>.</summary>
    public static WindowGeometry Same(long h, long w, long kh, long kw, long sh, long sw, bool topLeftHeavy)
    {
        long outH = (h + sh - 1) / sh, outW = (w + sw - 1) / sw;
        var totalH = (int)Math.Max(0, ((outH - 1) * sh) + kh - h);
        var totalW = (int)Math.Max(0, ((outW - 1) * sw) + kw - w);
        int top = topLeftHeavy ? totalH - (totalH / 2) : totalH / 2, left = topLeftHeavy ? totalW - (totalW / 2) : totalW / 2;
        return new WindowGeometry(outH, outW, new Padding(top, totalH - top, left, totalW - left));
    }

    /// <summary>Explicit padding: out = (in + padding − kernel) / stride + 1; a window larger than the padded input fails.</summary>
    public static WindowGeometry Explicit(long h, long w, long kh, long kw, long sh, long sw, Padding pad, LayerSite site)
    {
        var spanH = h + pad.Top + pad.Bottom - kh;
        var spanW = w + pad.Left + pad.Right - kw;
        if (spanH < 0 || spanW < 0)
        {
            throw site.Bad($"has a {kh}x{kw} window larger than its padded input {h + pad.Top + pad.Bottom}x{w + pad.Left + pad.Right}");
        }

        return new WindowGeometry((spanH / sh) + 1, (spanW / sw) + 1, pad);
    }

    /// <summary>The geometry Core ML's padding parameters ask for over <paramref name="x"/> (a window of kh×kw, effective size).</summary>
    public static WindowGeometry Of(TensorShape x, long kh, long kw, long sh, long sw, ValidPadding? valid, SamePadding? same, LayerSite site)
    {
        if (same is not null)
        {
            return Same(x.H, x.W, kh, kw, sh, sw, same.AsymmetryMode == SamePadding.Types.SamePaddingMode.TopLeftHeavy);
        }

        var amounts = valid?.PaddingAmounts?.BorderAmounts_;
        if (amounts is not null && amounts.Count is not (0 or 2))
        {
            throw site.Bad($"lists {amounts.Count} padding amounts; expected 2 (height, width)");
        }

        if (amounts is { Count: 2 } && amounts.Any(e => e.StartEdgeSize > CoreMLModelValidator.MaxWindow || e.EndEdgeSize > CoreMLModelValidator.MaxWindow))
        {
            throw site.Bad($"pads by [{string.Join(", ", amounts.Select(e => $"{e.StartEdgeSize}/{e.EndEdgeSize}"))}]; expected paddings up to {CoreMLModelValidator.MaxWindow}");
        }

        var pad = amounts is { Count: 2 }
            ? new Padding((int)amounts[0].StartEdgeSize, (int)amounts[0].EndEdgeSize, (int)amounts[1].StartEdgeSize, (int)amounts[1].EndEdgeSize)
            : default;
        return Explicit(x.H, x.W, kh, kw, sh, sw, pad, site);
    }

    /// <summary>A (height, width) parameter: <paramref name="fallback"/> when absent, else two values from 1 to <see cref="CoreMLModelValidator.MaxWindow"/>.</summary>
    public static (long H, long W) Pair(RepeatedField<ulong> values, long fallback, string what, LayerSite site)
    {
        if (values.Count == 0)
        {
            return (fallback, fallback);
        }

        if (values.Count != 2 || values.Any(v => v is < 1 or > CoreMLModelValidator.MaxWindow))
        {
            throw site.Bad($"has {what} [{string.Join(",", values.Take(4))}]; expected two values from 1 to {CoreMLModelValidator.MaxWindow}");
        }

        return ((long)values[0], (long)values[1]);
    }

    /// <summary>A (height, width) parameter read without checks, for the exactness checks that run before the shape rules.</summary>
    public static (int H, int W) PairOrDefault(RepeatedField<ulong> values, int fallback) =>
        values.Count == 2 ? ((int)values[0], (int)values[1]) : (fallback, fallback);
}
