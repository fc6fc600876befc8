using System.Globalization;
using SkiaSharp;

namespace Yolo4Convert.Cli;

/// <summary>One object as Darknet draws it: one box, with every class above the threshold, strongest first.</summary>
internal sealed record DrawnObject(float Left, float Top, float Width, float Height, IReadOnlyList<(int ClassId, string Name, float Confidence)> Classes)
{
    /// <summary>The label above the box, e.g. <c>dog 83%, sheep 30%</c>.</summary>
    public string Label => string.Join(", ", Classes.Select(c => $"{c.Name} {(c.Confidence * 100).ToString("0", CultureInfo.InvariantCulture)}%"));

    /// <summary>The strongest class probability.</summary>
    public float Best => Classes[0].Confidence;
}

/// <summary>
/// Darknet-style drawing of detections (draw_detections_v3, src/image.c): one box per object with all its class
/// names joined, strongest first; the strongest object drawn last so its box and label are on top; labels kept
/// inside the image. The output format follows the file extension (PNG or JPEG).
/// </summary>
internal static class DetectionDrawing
{
    /// <summary>The image format for an output path, from its extension; anything else is a usage error.</summary>
    public static SKEncodedImageFormat FormatFor(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => SKEncodedImageFormat.Png,
        ".jpg" or ".jpeg" => SKEncodedImageFormat.Jpeg,
        _ => throw new UsageException($"--out '{Path.GetFileName(path)}' should end in .png, .jpg or .jpeg (the format follows the extension)."),
    };

    /// <summary>
    /// Groups per-class detections into objects: the decoder emits one detection per class of a box, and those of
    /// one box have the very same coordinates. Objects come back strongest first.
    /// </summary>
    public static List<DrawnObject> Group(IEnumerable<(int ClassId, string Name, float Confidence, float Left, float Top, float Width, float Height)> detections) =>
    [
        .. detections
            .GroupBy(d => (d.Left, d.Top, d.Width, d.Height))
            .Select(g => new DrawnObject(g.Key.Left, g.Key.Top, g.Key.Width, g.Key.Height,
                [.. g.OrderByDescending(d => d.Confidence).Select(d => (d.ClassId, d.Name, d.Confidence))]))
            .OrderByDescending(o => o.Best),
    ];

    /// <summary>The order objects are painted in: weakest first, so the strongest ends on top.</summary>
    public static IEnumerable<DrawnObject> PaintOrder(IEnumerable<DrawnObject> objects) => objects.OrderBy(o => o.Best);

    /// <summary>Where a label of the given size goes: above the box if it fits, else just inside its top; always inside the image.</summary>
    public static (float X, float Y) LabelPosition(float left, float top, float labelWidth, float labelHeight, int imageWidth, int imageHeight)
    {
        var x = Math.Clamp(left, 0, Math.Max(0, imageWidth - labelWidth));
        var y = top - labelHeight >= 0 ? top - labelHeight : top;
        y = Math.Clamp(y, 0, Math.Max(0, imageHeight - labelHeight));
        return (x, y);
    }

    /// <summary>Draws the objects on the image and encodes it.</summary>
    public static void Draw(string imagePath, IReadOnlyList<DrawnObject> objects, SKEncodedImageFormat format, Stream output)
    {
        using var bitmap = ImageFiles.Decode(imagePath);
        using var canvas = new SKCanvas(bitmap);
        var stroke = Math.Max(2f, Math.Min(bitmap.Width, bitmap.Height) / 200f);
        using var font = new SKFont(SKTypeface.Default, Math.Max(12f, Math.Min(bitmap.Width, bitmap.Height) / 30f));
        foreach (var o in PaintOrder(objects))
        {
            var color = ColorOf(o.Classes[0].ClassId);
            var left = Math.Clamp(o.Left, 0, bitmap.Width - 1);
            var top = Math.Clamp(o.Top, 0, bitmap.Height - 1);
            var right = Math.Clamp(o.Left + o.Width, 0, bitmap.Width - 1);
            var bottom = Math.Clamp(o.Top + o.Height, 0, bitmap.Height - 1);
            using var pen = new SKPaint { Color = color, Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = true };
            canvas.DrawRect(left, top, right - left, bottom - top, pen);

            var label = o.Label;
            var labelWidth = font.MeasureText(label) + 6;
            var labelHeight = font.Size + 4;
            var (x, y) = LabelPosition(left, top, labelWidth, labelHeight, bitmap.Width, bitmap.Height);
            using var fill = new SKPaint { Color = color, Style = SKPaintStyle.Fill };
            canvas.DrawRect(x, y, labelWidth, labelHeight, fill);
            using var ink = new SKPaint { Color = Luminance(color) > 140 ? SKColors.Black : SKColors.White, IsAntialias = true };
            canvas.DrawText(label, x + 3, y + font.Size, SKTextAlign.Left, font, ink);
        }

        canvas.Flush();
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, format == SKEncodedImageFormat.Jpeg ? 90 : 100);
        data.SaveTo(output);
    }

    // A fixed colour per class (spread around the hue circle, as Darknet's get_color spreads its offsets).
    private static SKColor ColorOf(int classId) => SKColor.FromHsv((classId * 137.508f) % 360f, 85f, 95f);

    private static double Luminance(SKColor c) => (0.299 * c.Red) + (0.587 * c.Green) + (0.114 * c.Blue);
}
