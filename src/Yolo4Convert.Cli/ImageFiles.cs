using System.Globalization;
using SkiaSharp;
using Yolo4Convert.Detection;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Cli;

/// <summary>Image decoding, preparation for a model, and drawing of detections (SkiaSharp).</summary>
internal static class ImageFiles
{
    /// <summary>The largest image side decoded; larger images are refused before any pixel is allocated.</summary>
    public const int MaxSide = 16384;

    /// <summary>The largest image decoded, in pixels (50 megapixels: about 1 GB with the float copy and the drawing).</summary>
    public const long MaxPixels = 50_000_000;

    /// <summary>Decodes a JPEG/PNG into RGB pixel values 0..255, CHW.</summary>
    public static Tensor Load(string path)
    {
        using var bitmap = Decode(path);
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

    /// <summary>Stretches (Darknet's default) or letterboxes an image to the network size; a grayscale network gets Darknet's luma.</summary>
    public static (Tensor Pixels, Func<Detection.Detection, Detection.Detection> ToImage) Prepare(Tensor image, int width, int height, bool letterbox, bool grayscale)
    {
        if (grayscale)
        {
            // Darknet reads one channel through stb_image: integer luma, then its own resize.
            image = DarknetImage.Luma(image);
        }

        if (!letterbox)
        {
            return (DarknetImage.Resize(image, width, height), d => d);
        }

        var (boxed, newW, newH) = DarknetImage.Letterbox(image, width, height, 127.5f);
        return (boxed, d => DarknetImage.UnLetterbox(d, width, height, newW, newH));
    }

    /// <summary>
    /// Decodes an image after checking its size from the header (a 30000×30000 PNG is refused before a 3.6 GB
    /// bitmap is allocated).
    /// </summary>
    public static SKBitmap Decode(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"image '{path}' not found.", path);
        }

        using var codec = SKCodec.Create(path)
            ?? throw new ImageFormatException("the image could not be decoded; expected a JPEG or PNG file.", new SourceLocation(path));
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0 || width > MaxSide || height > MaxSide || (long)width * height > MaxPixels)
        {
            throw new ImageFormatException(
                string.Create(CultureInfo.InvariantCulture, $"the image is {width}x{height} pixels; expected at most {MaxSide} per side and {MaxPixels / 1_000_000} megapixels."),
                new SourceLocation(path), "scale the image down first; the network sees it at its own input size anyway.");
        }

        // The same decoding as SKBitmap.Decode(path), now that the size is known to be sane.
        var bitmap = SKBitmap.Decode(codec)
            ?? throw new ImageFormatException("the image could not be decoded; expected a JPEG or PNG file.", new SourceLocation(path));
        return bitmap;
    }
}
