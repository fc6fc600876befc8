using CoreML.Specification;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>
/// A convolution's weights and bias taken out of the message once per model (dequantized, see WeightDecoder):
/// per group, the weights packed for the matrix product (<see cref="PackedMatrix"/>), or as plain [C·k·k]
/// filters for a depthwise convolution.
/// </summary>
internal sealed record ConvKernel(PackedMatrix[]? Groups, float[]? Depthwise, float[]? Bias)
{
    /// <summary>The kernel of a convolution layer; the message's copy of the weights is then dropped.</summary>
    public static ConvKernel Take(ConvolutionLayerParams p)
    {
        var groups = Math.Max(1, (int)p.NGroups);
        var outC = (int)p.OutputChannels;
        var k = Window.PairOrDefault(p.KernelSize, 3);
        var kdim = (int)p.KernelChannels * k.H * k.W;
        var w = WeightDecoder.Decode(p.Weights, outC * kdim, outC);
        var bias = p.HasBias && p.Bias is { } b ? WeightDecoder.Decode(b, outC, 1) : null;
        var kernel = FromValues(w, bias, outC, kdim, groups, IsDepthwise(p));

        // RepeatedField.Clear keeps its array; a new WeightParams lets it go.
        p.Weights = new WeightParams();
        return kernel;
    }

    /// <summary>
    /// A kernel from plain OIHW weights (<paramref name="outC"/> filters of <paramref name="kdim"/> values in
    /// <paramref name="groups"/> groups) and an optional bias; depthwise keeps one k·k filter per channel for the direct loop.
    /// </summary>
    public static ConvKernel FromValues(float[] weights, float[]? bias, int outC, int kdim, int groups, bool depthwise) =>
        depthwise
            ? new ConvKernel(null, weights, bias)
            : new ConvKernel([.. Enumerable.Range(0, groups).Select(g => PackedMatrix.Pack(weights.AsSpan(g * (outC / groups) * kdim), outC / groups, kdim))], null, bias);

    /// <summary>The same kernel with every value passed through <paramref name="map"/> (e.g. rounded to half).</summary>
    public ConvKernel Map(Func<float[], float[]> map) => new(
        Groups?.Select(g => g.Map(map)).ToArray(), Depthwise is null ? null : map(Depthwise), Bias is null ? null : map(Bias));

    private static bool IsDepthwise(ConvolutionLayerParams p) =>
        p.NGroups > 1 && p.KernelChannels == 1 && p.OutputChannels == p.NGroups;
}
