using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Reference;

/// <summary>Darknet's CPU activation formulas (src/activations.h, src/activations.c).</summary>
internal static class DarknetActivations
{
    public static void Apply(Span<float> x, Activation a, Layer layer)
    {
        switch (a)
        {
            case Activation.Linear:
                return;
            case Activation.Logistic:
                Each(x, Logistic);
                return;
            case Activation.Relu:
                Each(x, v => v * (v > 0 ? 1f : 0f));
                return;
            case Activation.Relie:
                Each(x, v => v > 0 ? v : .01f * v);
                return;
            case Activation.Leaky or Activation.Revleaky:
                Each(x, v => v > 0 ? v : .1f * v);
                return;
            case Activation.Tanh:
                Each(x, Tanh);
                return;
            case Activation.Elu:
                Each(x, v => (v >= 0 ? v : 0f) + (v < 0 ? MathF.Exp(v) - 1 : 0f));
                return;
            case Activation.Selu:
                Each(x, v => (v >= 0 ? 1.0507f * v : 0f) + (v < 0 ? 1.0507f * 1.6732f * (MathF.Exp(v) - 1) : 0f));
                return;
            case Activation.Swish:
                Each(x, v => v * Logistic(v));
                return;
            case Activation.Mish:
                // activate_array_mish: x · tanh(softplus(x)) with MISH_THRESHOLD = 20.
                Each(x, v => v * Tanh(Softplus(v, 20f)));
                return;
            default:
                throw new UnsupportedFeatureException($"the reference forward pass has no formula for activation={ActivationNames.Name(a)} (layer {layer.Index}).", layer.Source);
        }
    }

    private static float Logistic(float v) => 1f / (1f + MathF.Exp(-v));

    private static float Tanh(float v) => (2f / (1f + MathF.Exp(-2f * v))) - 1f;

    private static float Softplus(float v, float threshold) =>
        v > threshold ? v : v < -threshold ? MathF.Exp(v) : MathF.Log(MathF.Exp(v) + 1f);

    private static void Each(Span<float> x, Func<float, float> f)
    {
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = f(x[i]);
        }
    }
}
