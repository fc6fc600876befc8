namespace Yolo4Convert.Runtime;

/// <summary>
/// Unfolds a CHW input into the [C·kh·kw, outH·outW] matrix of a convolution. The window of output (oy, ox)
/// starts at (oy·strideY − padTop, ox·strideX − padLeft); cells outside the input read as zero.
/// </summary>
internal static class Im2Col
{
    public static void Unfold(
        ReadOnlySpan<float> input, int channels, int height, int width,
        int kernel, int strideY, int strideX, int dilation, int padTop, int padLeft,
        int outH, int outW, Span<float> columns)
    {
        var n = outH * outW;
        for (var c = 0; c < channels; c++)
        {
            var plane = input.Slice(c * height * width, height * width);
            for (var ky = 0; ky < kernel; ky++)
            {
                for (var kx = 0; kx < kernel; kx++)
                {
                    var row = columns.Slice((((c * kernel) + ky) * kernel + kx) * n, n);
                    for (var oy = 0; oy < outH; oy++)
                    {
                        var y = (oy * strideY) - padTop + (ky * dilation);
                        var dst = row.Slice(oy * outW, outW);
                        if (y < 0 || y >= height)
                        {
                            dst.Clear();
                            continue;
                        }

                        var src = plane.Slice(y * width, width);
                        var x0 = kx * dilation - padLeft;
                        if (strideX == 1 && x0 >= 0 && x0 + outW <= width)
                        {
                            src.Slice(x0, outW).CopyTo(dst);
                            continue;
                        }

                        for (var ox = 0; ox < outW; ox++)
                        {
                            var x = (ox * strideX) + x0;
                            dst[ox] = x >= 0 && x < width ? src[x] : 0f;
                        }
                    }
                }
            }
        }
    }
}
