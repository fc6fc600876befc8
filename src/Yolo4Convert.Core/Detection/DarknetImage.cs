using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Detection;

/// <summary>Darknet's image preparation: its own bilinear resize (resize_image, src/image.c) and letterboxing.</summary>
public static class DarknetImage
{
    /// <summary>
    /// The one-channel image Darknet reads for a channels=1 network: load_image_stb asks stb_image for one channel, and
    /// stb_image turns RGB into integer luma, (77·R + 150·G + 29·B) >> 8 (stbi__compute_y; gray images stay as they
    /// are, which the formula also gives for R = G = B). Takes and returns CHW pixel values 0..255.
    /// </summary>
    public static Tensor Luma(Tensor rgb)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.C != 3)
        {
            throw new ArgumentException($"expected an RGB image (3 channels), got {rgb.C}", nameof(rgb));
        }

        var plane = rgb.H * rgb.W;
        var gray = new Tensor(new TensorShape(1, rgb.H, rgb.W));
        for (var i = 0; i < plane; i++)
        {
            int r = (int)rgb.Data[i], g = (int)rgb.Data[plane + i], b = (int)rgb.Data[(2 * plane) + i];
            gray.Data[i] = ((r * 77) + (g * 150) + (29 * b)) >> 8;
        }

        return gray;
    }

    /// <summary>
    /// Resizes a CHW image with Darknet's separable bilinear filter: scale (in−1)/(out−1), columns first, then rows.
    /// </summary>
    public static Tensor Resize(Tensor image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        var part = new Tensor(new TensorShape(image.C, image.H, width));
        var result = new Tensor(new TensorShape(image.C, height, width));
        var wScale = (float)(image.W - 1) / (width - 1);
        var hScale = (float)(image.H - 1) / (height - 1);
        for (var k = 0; k < image.C; k++)
        {
            for (var r = 0; r < image.H; r++)
            {
                var src = image.Data.AsSpan(((k * image.H) + r) * image.W, image.W);
                var dst = part.Data.AsSpan(((k * image.H) + r) * width, width);
                for (var c = 0; c < width; c++)
                {
                    if (c == width - 1 || image.W == 1)
                    {
                        dst[c] = src[image.W - 1];
                        continue;
                    }

                    var sx = c * wScale;
                    var ix = (int)sx;
                    var dx = sx - ix;
                    dst[c] = ((1 - dx) * src[ix]) + (dx * src[ix + 1]);
                }
            }

            for (var r = 0; r < height; r++)
            {
                var sy = r * hScale;
                var iy = (int)sy;
                var dy = sy - iy;
                var dst = result.Data.AsSpan(((k * height) + r) * width, width);
                var top = part.Data.AsSpan(((k * image.H) + iy) * width, width);
                for (var c = 0; c < width; c++)
                {
                    dst[c] = (1 - dy) * top[c];
                }

                if (r == height - 1 || image.H == 1)
                {
                    continue;
                }

                var bottom = part.Data.AsSpan(((k * image.H) + iy + 1) * width, width);
                for (var c = 0; c < width; c++)
                {
                    dst[c] += dy * bottom[c];
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Letterboxes as letterbox_image does: keep the aspect ratio, centre on a canvas filled with 0.5 (in the image's
    /// units, so pass <paramref name="fill"/> = 127.5 for 0..255 pixels). Returns the placement for box correction.
    /// </summary>
    public static (Tensor Image, int NewWidth, int NewHeight) Letterbox(Tensor image, int width, int height, float fill)
    {
        ArgumentNullException.ThrowIfNull(image);
        int newW, newH;
        if ((float)width / image.W < (float)height / image.H)
        {
            newW = width;
            newH = image.H * width / image.W;
        }
        else
        {
            newH = height;
            newW = image.W * height / image.H;
        }

        var resized = Resize(image, newW, newH);
        var canvas = new Tensor(new TensorShape(image.C, height, width));
        Array.Fill(canvas.Data, fill);
        int dx = (width - newW) / 2, dy = (height - newH) / 2;
        for (var k = 0; k < image.C; k++)
        {
            for (var y = 0; y < newH; y++)
            {
                resized.Data.AsSpan(((k * newH) + y) * newW, newW).CopyTo(canvas.Data.AsSpan((((k * height) + y + dy) * width) + dx));
            }
        }

        return (canvas, newW, newH);
    }

    /// <summary>Maps a box from letterboxed network coordinates back to the original image (correct_yolo_boxes).</summary>
    public static Detection UnLetterbox(Detection d, int netW, int netH, int newW, int newH)
    {
        ArgumentNullException.ThrowIfNull(d);
        return d with
        {
            X = (d.X - ((netW - newW) / 2f / netW)) / ((float)newW / netW),
            Y = (d.Y - ((netH - newH) / 2f / netH)) / ((float)newH / netH),
            Width = d.Width * netW / newW,
            Height = d.Height * netH / newH,
        };
    }
}
