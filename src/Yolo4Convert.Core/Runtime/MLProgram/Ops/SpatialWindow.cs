using Yolo4Convert.Runtime.Ops;

namespace Yolo4Convert.Runtime.MLProgram.Ops;

/// <summary>The sliding-window parameters MIL's conv and pools share: pad_type with pad [top, bottom, left, right], strides.</summary>
internal static class SpatialWindow
{
    /// <summary>The largest window, stride, dilation or padding accepted.</summary>
    public const int Max = 4096;

    /// <summary>The [1, C, H, W] input of a windowed op.</summary>
    public static MilValue Map(MilCall call)
    {
        var x = call.Tensor("x");
        return x.Rank == 4 && x.Dims[0] == 1 ? x : throw call.Bad($"takes x of shape {x.ShapeText}; the runtime runs [1, C, H, W] maps");
    }

    /// <summary>A (height, width) parameter from 1 to <see cref="Max"/>.</summary>
    public static (int H, int W) Pair(MilCall call, string param, int fallback)
    {
        var v = call.Ints(param, [fallback, fallback]);
        return v.Length == 2 && v.All(e => e is >= 1 and <= Max) ? (v[0], v[1]) : throw call.Bad($"has {param} [{string.Join(",", v)}]; expected two values from 1 to {Max}");
    }

    /// <summary>Output size and padding for an effective kh×kw window over h×w.</summary>
    public static WindowGeometry Geometry(MilCall call, int h, int w, int kh, int kw, int sh, int sw, bool padTypeRequired)
    {
        var padType = call.Text("pad_type", padTypeRequired ? null : "valid").ToLowerInvariant();
        switch (padType)
        {
            case "same":
                return Window.Same(h, w, kh, kw, sh, sw, topLeftHeavy: false);
            case "same_lower":
                return Window.Same(h, w, kh, kw, sh, sw, topLeftHeavy: true);
            case "valid":
                return Explicit(call, h, w, kh, kw, sh, sw, default);
            case "custom":
                var pad = call.Ints("pad", [0, 0, 0, 0]);
                if (pad.Length != 4 || pad.Any(p => p is < 0 or > Max))
                {
                    throw call.Bad($"has pad [{string.Join(",", pad)}]; expected [top, bottom, left, right] from 0 to {Max}");
                }

                return Explicit(call, h, w, kh, kw, sh, sw, new Padding(pad[0], pad[1], pad[2], pad[3]));
            default:
                throw call.Bad($"has pad_type '{Diagnostics.Echo.Of(padType)}'; expected valid, same, same_lower or custom");
        }
    }

    private static WindowGeometry Explicit(MilCall call, int h, int w, int kh, int kw, int sh, int sw, Padding pad)
    {
        long spanH = (long)h + pad.Top + pad.Bottom - kh, spanW = (long)w + pad.Left + pad.Right - kw;
        return spanH < 0 || spanW < 0
            ? throw call.Bad($"has a {kh}x{kw} window larger than its padded input {h + pad.Top + pad.Bottom}x{w + pad.Left + pad.Right}")
            : new WindowGeometry((spanH / sh) + 1, (spanW / sw) + 1, pad);
    }
}
