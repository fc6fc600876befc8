using Yolo4Convert.Graph;

namespace Yolo4Convert.Passes;

/// <summary>
/// Folds Darknet's batch norm into the convolution as fuse_conv_batchnorm does (src/network.c): the factor
/// scale / sqrt(variance + eps) is computed in double precision, W' = W·f, b' = β − scale·mean / sqrt(variance + eps).
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
        if (weights.BatchNorm is not { } bn)
        {
            weights.Kernel.CopyTo(kernel);
            weights.Biases.CopyTo(bias);
            return;
        }

        var filters = weights.Biases.Length;
        var perFilter = weights.Kernel.Length / filters;
        for (var o = 0; o < filters; o++)
        {
            var std = Math.Sqrt(bn.Variance[o] + epsilon);
            var f = bn.Scales[o] / std;
            bias[o] = (float)(weights.Biases[o] - (bn.Scales[o] * bn.Mean[o] / std));
            var src = weights.Kernel.AsSpan(o * perFilter, perFilter);
            var dst = kernel.Slice(o * perFilter, perFilter);
            for (var i = 0; i < perFilter; i++)
            {
                dst[i] = (float)(src[i] * f);
            }
        }
    }
}
