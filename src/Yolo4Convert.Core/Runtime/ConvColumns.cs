using Yolo4Convert.Numerics;

namespace Yolo4Convert.Runtime;

/// <summary>
/// The columns of a convolution's im2col matrix, read straight from the CHW input while the matrix product packs
/// them, so the [C·k·k, outH·outW] matrix is never built. Row (c·k + ky)·k + kx, column oy·outW + ox holds
/// input[c, oy·strideY − padTop + ky·dilation, ox·strideX − padLeft + kx·dilation], or zero outside the input.
/// </summary>
internal readonly unsafe struct ConvColumns(
    float* input, int height, int width, int kernel, int strideY, int strideX, int dilation, int padTop, int padLeft, int outW)
    : IColumnSource
{
    public void Pack(int k0, int kc, int j0, int count, float* panels, float* row)
    {
        var taps = kernel * kernel;
        for (var r = 0; r < kc; r++)
        {
            var k = k0 + r;
            var c = k / taps;
            var ky = k % taps / kernel;
            var kx = k % kernel;
            Row(input + ((long)c * height * width), ky * dilation, kx * dilation, j0, count, row);
            PanelWriter.Scatter(row, count, kc, r, panels);
        }
    }

    // One im2col row over columns [j0, j0+count), walked one output row at a time.
    private void Row(float* plane, int dy, int dx, int j0, int count, float* row)
    {
        var oy = j0 / outW;
        var ox = j0 % outW;
        for (var at = 0; at < count; oy++, ox = 0)
        {
            var run = Math.Min(outW - ox, count - at);
            var dst = new Span<float>(row + at, run);
            at += run;
            var y = (oy * strideY) - padTop + dy;
            if (y < 0 || y >= height)
            {
                dst.Clear();
                continue;
            }

            var src = plane + ((long)y * width);
            var x0 = (ox * strideX) - padLeft + dx;
            if (strideX == 1)
            {
                // Input columns x0 .. x0+run−1: zeros left of 0 and right of width−1, a plain copy between.
                var lead = Math.Clamp(-x0, 0, run);
                var copy = Math.Clamp(width - (x0 + lead), 0, run - lead);
                dst[..lead].Clear();
                new ReadOnlySpan<float>(src + x0 + lead, copy).CopyTo(dst.Slice(lead, copy));
                dst[(lead + copy)..].Clear();
                continue;
            }

            for (var i = 0; i < run; i++)
            {
                var x = x0 + (i * strideX);
                dst[i] = x >= 0 && x < width ? src[x] : 0f;
            }
        }
    }
}
