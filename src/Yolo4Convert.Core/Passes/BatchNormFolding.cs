using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Passes;

/// <summary>
/// Folds Darknet's batch norm into the convolution as fuse_conv_batchnorm does (src/network.c): the factor
/// scale / sqrt(variance + eps) is computed in double precision, W' = W·f, b' = β − scale·mean / sqrt(variance + eps).
/// The kernel can be folded whole (<see cref="Fold(ConvWeights, double)"/>) or a piece at a time
/// (<see cref="Factors"/> once per layer, then <see cref="Scale"/> per filter segment); both give the same floats.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>Darknet's epsilon (normalize_cpu, src/blas.c).</summary>
    public const double DarknetEpsilon = 1e-5;

    /// <summary>Returns the folded kernel (OIHW) and bias of one conv layer.</summary>
    public static (float[] Kernel, float[] Bias) Fold(ConvWeights weights, double epsilon = DarknetEpsilon)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.BatchNorm is null)
        {
            return (weights.Kernel, weights.Biases);
        }

        var kernel = GC.AllocateUninitializedArray<float>(weights.Kernel.Length);
        var bias = new float[weights.Biases.Length];
        Fold(weights, epsilon, kernel, bias);
        return (kernel, bias);
    }

    /// <summary>Writes the folded kernel (OIHW) and bias into caller-owned buffers (no allocation).</summary>
    public static void Fold(ConvWeights weights, double epsilon, Span<float> kernel, Span<float> bias)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.BatchNorm is null)
        {
            weights.Kernel.CopyTo(kernel);
            weights.Biases.CopyTo(bias);
            return;
        }

        var filters = weights.Biases.Length;
        var factors = new double[filters];
        Factors(weights.Biases, weights.BatchNorm, epsilon, factors, bias);
        var perFilter = weights.Kernel.Length / filters;
        for (var o = 0; o < filters; o++)
        {
            Scale(weights.Kernel.AsSpan(o * perFilter, perFilter), factors[o], kernel.Slice(o * perFilter, perFilter));
        }
    }

    /// <summary>
    /// The folded bias and each filter's kernel factor. Returns false, with the biases copied and no factors, when
    /// the layer has no batch norm: its kernel is stored as it is.
    /// </summary>
    public static bool Factors(ReadOnlySpan<float> biases, BatchNormWeights? batchNorm, double epsilon, Span<double> factors, Span<float> bias)
    {
        if (batchNorm is not { } bn)
        {
            biases.CopyTo(bias);
            return false;
        }

        for (var o = 0; o < biases.Length; o++)
        {
            var std = Math.Sqrt(bn.Variance[o] + epsilon);
            factors[o] = bn.Scales[o] / std;
            bias[o] = (float)(biases[o] - (bn.Scales[o] * bn.Mean[o] / std));
        }

        return true;
    }

    /// <summary>
    /// dst[i] = (float)(src[i]·f): the product in double, rounded once to float. The vector paths widen exactly,
    /// multiply in double and narrow with round-to-nearest-even, so they give the scalar loop's bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a hot loop: straight to optimised code, no tier-0 pass
    public static void Scale(ReadOnlySpan<float> src, double f, Span<float> dst)
    {
        if (dst.Length < src.Length)
        {
            throw new ArgumentException("the destination is shorter than the source", nameof(dst));
        }

        var i = 0;
        ref var s = ref MemoryMarshal.GetReference(src);
        ref var d = ref MemoryMarshal.GetReference(dst);
        if (Vector512.IsHardwareAccelerated)
        {
            var factor = Vector512.Create(f);
            for (; i <= src.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var (lower, upper) = Vector512.Widen(Vector512.LoadUnsafe(ref s, (nuint)i));
                Vector512.Narrow(lower * factor, upper * factor).StoreUnsafe(ref d, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var factor = Vector256.Create(f);
            for (; i <= src.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                Vector256.Narrow(lower * factor, upper * factor).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < src.Length; i++)
        {
            dst[i] = (float)(src[i] * f);
        }
    }
}
