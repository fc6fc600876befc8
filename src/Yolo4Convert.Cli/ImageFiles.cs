using SkiaSharp;
using Yolo4Convert.Detection;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Cli;

/// <summary>Image decoding, preparation for a model, and drawing of detections (SkiaSharp).</summary>
internal static class ImageFiles
{
    /// <summary>Decodes a JPEG/PNG into RGB pixel values 0..255, CHW.</summary>
    public static Tensor Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"image '{path}' not found.", path);
        }

        using var bitmap = SKBitmap.Decode(path)
            ?? throw new DarknetFormatException("the image could not be decoded; expected a JPEG or PNG file.", new SourceLocation(path));
        var t = new Tensor(new TensorShape(3, bitmap.Height, bitmap.Width));
        var plane = bitmap.Width * bitmap.Height;
        var pixels = bitmap.Pixels;
        for (var i = 0; i < plane; i++)
        {
            var p = pixels[i];
            t.Data[i] = p.Red;
            t.Data[plane + i] = p.Green;
            t.Data[(2 * plane) + i] = p.Blue;
        }

        return t;
    }

    /// <summary>Stretches (Darknet's default) or letterboxes an image to the network size.</summary>
    public static (Tensor Pixels, Func<Detection.Detection, Detection.Detection> ToImage) Prepare(Tensor image, int width, int height, bool letterbox, bool grayscale)
    {
        if (grayscale)
        {
            var gray = new Tensor(new TensorShape(1, image.H, image.W));
            var plane = image.H * image.W;
            for (var i = 0; i < plane; i++)
            {
                gray.Data[i] = (image.Data[i] + image.Data[plane + i] + image.Data[(2 * plane) + i]) / 3f;
            }

            image = gray;
        }

        if (!letterbox)
        {
            return (DarknetImage.Resize(image, width, height), d => d);
        }

        var (boxed, newW, newH) = DarknetImage.Letterbox(image, width, height, 127.5f);
        return (boxed, d => DarknetImage.UnLetterbox(d, width, height, newW, newH));
    }

    /// <summary>Draws labelled boxes on the image and writes a PNG.</summary>
    public static void DrawPng(string imagePath, IEnumerable<(string Label, float Left, float Top, float Width, float Height)> boxes, Stream output)
    {
        using var bitmap = SKBitmap.Decode(imagePath);
        using var canvas = new SKCanvas(bitmap);
        var stroke = Math.Max(2f, bitmap.Width / 200f);
        using var font = new SKFont(SKTypeface.Default, Math.Max(12f, bitmap.Width / 40f));
        var palette = new[] { SKColors.Red, SKColors.Lime, SKColors.Blue, SKColors.Orange, SKColors.Magenta, SKColors.Cyan, SKColors.Yellow };
        var i = 0;
        foreach (var (label, left, top, width, height) in boxes)
        {
            var color = palette[i++ % palette.Length];
            using var pen = new SKPaint { Color = color, Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = true };
            canvas.DrawRect(left, top, width, height, pen);
            var textWidth = font.MeasureText(label);
            var textTop = Math.Max(0, top - font.Size - 4);
            using var fill = new SKPaint { Color = color, Style = SKPaintStyle.Fill };
            canvas.DrawRect(left, textTop, textWidth + 6, font.Size + 4, fill);
            using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText(label, left + 3, textTop + font.Size, SKTextAlign.Left, font, ink);
        }

        canvas.Flush();
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        data.SaveTo(output);
    }
}
