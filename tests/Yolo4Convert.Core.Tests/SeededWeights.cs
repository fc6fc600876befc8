using Yolo4Convert.Darknet;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Tests;

/// <summary>
/// Makes a .weights file of exactly the size a cfg needs, filled with seeded values of realistic magnitude
/// (kernels ~ U(±sqrt(3/fan_in)), BN variance in [0.5, 1.5]) so deep networks neither vanish nor explode.
/// </summary>
public static class SeededWeights
{
    public static void Write(ShapedNetwork shaped, string path, int seed = 1, int major = 0, int minor = 2)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Write(shaped, stream, seed, major, minor);
    }

    public static void Write(ShapedNetwork shaped, Stream stream, int seed = 1, int major = 0, int minor = 2)
    {
        var random = new Random(seed);
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(major);
        w.Write(minor);
        w.Write(5);
        if ((major * 10) + minor >= 2)
        {
            w.Write(32_000_000UL);
        }
        else
        {
            w.Write(32_000_000U);
        }

        var buffer = new float[1 << 16];
        void Fill(long count, Func<float> next)
        {
            while (count > 0)
            {
                var n = (int)Math.Min(count, buffer.Length);
                for (var i = 0; i < n; i++)
                {
                    buffer[i] = next();
                }

                w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(buffer.AsSpan(0, n)));
                count -= n;
            }
        }

        float Uniform(float lo, float hi) => lo + ((hi - lo) * random.NextSingle());
        foreach (var layer in shaped.Network.Layers.OfType<ConvolutionalLayer>())
        {
            var n = layer.Filters;
            var fanIn = shaped.InputShape(layer).C / layer.Groups * layer.Size * layer.Size;
            var bound = MathF.Sqrt(3f / fanIn);
            Fill(n, () => Uniform(-0.2f, 0.2f));
            if (layer.BatchNormalize)
            {
                Fill(n, () => Uniform(0.6f, 1.4f));
                Fill(n, () => Uniform(-0.2f, 0.2f));
                Fill(n, () => Uniform(0.5f, 1.5f));
            }

            Fill(shaped.KernelCount(layer), () => Uniform(-bound, bound));
        }
    }
}
