using System.Globalization;
using SkiaSharp;

namespace Yolo4Convert.Cli;

/// <summary>One object as Darknet draws it: one box, with every class above the threshold, strongest first.</summary>
internal sealed record DrawnObject(ImageBox Box, IReadOnlyList<(int ClassId, string Name, float Confidence)> Classes)
{
    /// <summary>The label above the box, e.g. <c>dog 83%, sheep 30%</c>.</summary>
    public string Label => string.Join(", ", Classes.Select(c => $"{c.Name} {(c.Confidence * 100).ToString("0", CultureInfo.InvariantCulture)}%"));

    /// <summary>The strongest class probability.</summary>
    public float Best => Classes[0].Confidence;
}

/// <summary>
/// Darknet-style drawing of detections (draw_detections_v3, src/image.c): one box per object with all its class
/// names joined, strongest first; the strongest object drawn last so its box is on top; labels never cover each
/// other and stay inside the image (<see cref="LabelPlacement"/>). The output format follows the file extension (PNG or JPEG).
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
    public static List<DrawnObject> Group(IEnumerable<(int ClassId, string Name, float Confidence, ImageBox Box)> detections) =>
    [
        .. detections
            .GroupBy(d => d.Box)
            .Select(g => new DrawnObject(g.Key, [.. g.OrderByDescending(d => d.Confidence).Select(d => (d.ClassId, d.Name, d.Confidence))]))
            .OrderByDescending(o => o.Best),
    ];

    /// <summary>The order objects are painted in: weakest first, so the strongest ends on top.</summary>
    public static IEnumerable<DrawnObject> PaintOrder(IEnumerable<DrawnObject> objects) => objects.OrderBy(o => o.Best);

    /// <summary>
    /// Draws the objects on the image and encodes it: every box first (the strongest last, so on top), then every
    /// label, placed by <see cref="LabelPlacement"/> so no label covers another or leaves the image (a label with no
    /// free spot left is not drawn).
    /// </summary>
    public static void Draw(string imagePath, IReadOnlyList<DrawnObject> objects, SKEncodedImageFormat format, Stream output)
    {
        using var bitmap = ImageFiles.Decode(imagePath);
        using var canvas = new SKCanvas(bitmap);
        var stroke = Math.Max(2f, Math.Min(bitmap.Width, bitmap.Height) / 200f);
        using var font = new SKFont(SKTypeface.Default, Math.Max(12f, Math.Min(bitmap.Width, bitmap.Height) / 30f));
        var labelHeight = font.Size + 4;
        var strongestFirst = objects.OrderByDescending(o => o.Best).ToList();
        var texts = strongestFirst.Select(o => Fit(o.Label, font, bitmap.Width)).ToList();
        var rects = LabelPlacement.Place(
            [.. strongestFirst.Select((o, i) => (o.Box.ClampedTo(bitmap.Width, bitmap.Height), font.MeasureText(texts[i]) + 6, labelHeight))],
            bitmap.Width,
            bitmap.Height);

        foreach (var o in PaintOrder(objects))
        {
            var box = o.Box.ClampedTo(bitmap.Width - 1, bitmap.Height - 1);
            using var pen = new SKPaint { Color = ColorOf(o.Classes[0].ClassId), Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = true };
            canvas.DrawRect(box.Left, box.Top, box.Width, box.Height, pen);
        }

        for (var i = strongestFirst.Count - 1; i >= 0; i--)
        {
            if (rects[i] is not { } rect)
            {
                continue; // no free spot left in its column: the box stays unlabelled rather than covering a label
            }

            var color = ColorOf(strongestFirst[i].Classes[0].ClassId);
            using var fill = new SKPaint { Color = color, Style = SKPaintStyle.Fill };
            canvas.DrawRect(rect.Left, rect.Top, rect.Width, rect.Height, fill);
            using var ink = new SKPaint { Color = Luminance(color) > 140 ? SKColors.Black : SKColors.White, IsAntialias = true };
            canvas.DrawText(texts[i], rect.Left + 3, rect.Top + font.Size, SKTextAlign.Left, font, ink);
        }

        canvas.Flush();
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, format == SKEncodedImageFormat.Jpeg ? 90 : 100);
        data.SaveTo(output);
    }

    // A label wider than the image is cut, with an ellipsis, so its rectangle fits inside the image.
    private static string Fit(string label, SKFont font, int imageWidth)
    {
        if (font.MeasureText(label) + 6 <= imageWidth)
        {
            return label;
        }

        var length = label.Length;
        while (length > 0 && font.MeasureText(label[..length] + "…") + 6 > imageWidth)
        {
            length--;
        }

        return label[..length] + "…";
    }

    // A fixed colour per class (spread around the hue circle, as Darknet's get_color spreads its offsets).
    private static SKColor ColorOf(int classId) => SKColor.FromHsv((classId * 137.508f) % 360f, 85f, 95f);

    private static double Luminance(SKColor c) => (0.299 * c.Red) + (0.587 * c.Green) + (0.114 * c.Blue);
}
