using System.Collections.Immutable;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Darknet;

/// <summary>A network with the output shape of every layer, as Darknet computes it while building the net.</summary>
public sealed record ShapedNetwork(Network Network, ImmutableArray<TensorShape> Shapes)
{
    /// <summary>The shape of a layer's k-th input (index -1 is the network input).</summary>
    public TensorShape InputShape(Layer layer, int k = 0) => ShapeOf(layer.Inputs[k]);

    /// <summary>The output shape of a layer index, or the network input for -1.</summary>
    public TensorShape ShapeOf(int index) => index < 0 ? Network.InputShape : Shapes[index];

    /// <summary>How many float32 values the layer reads from a .weights file (load_weights_upto, src/parser.c).</summary>
    public long WeightFloats(Layer layer) => layer is ConvolutionalLayer c
        ? (long)c.Filters * (c.BatchNormalize ? 4 : 1) + KernelCount(c)
        : 0;

    /// <summary>Number of kernel values of a conv: n × (c/groups) × size × size.</summary>
    public long KernelCount(ConvolutionalLayer c) => (long)c.Filters * (InputShape(c).C / c.Groups) * c.Size * c.Size;

    /// <summary>
    /// Billions of floating point operations, counted as Darknet prints them: a conv 2 × weights × output pixels
    /// (convolutional_layer.c), a maxpool size² × channels × output pixels (maxpool_layer.c), a shortcut one add per
    /// output value and `from` input (shortcut_layer.c); Darknet counts nothing for the other layers.
    /// </summary>
    public double BFlops(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var o = Shapes[layer.Index];
        return layer switch
        {
            ConvolutionalLayer c => 2.0 * KernelCount(c) * o.H * o.W / 1e9,
            MaxPoolLayer m => (double)m.Size * m.Size * InputShape(m).C * o.H * o.W / 1e9,
            LocalAvgPoolLayer a => (double)a.Size * a.Size * InputShape(a).C * o.H * o.W / 1e9,
            ShortcutLayer s => (double)o.C * o.H * o.W * (s.Inputs.Length - 1) / 1e9,
            _ => 0,
        };
    }

    /// <summary>Total float32 values the .weights file must hold after its header.</summary>
    public long TotalWeightFloats => Network.Layers.Sum(WeightFloats);

    /// <summary>Learnable parameters: the weights file minus BN rolling mean and variance.</summary>
    public long ParameterCount => Network.Layers.Sum(l => WeightFloats(l) - (l is ConvolutionalLayer { BatchNormalize: true } c ? 2L * c.Filters : 0));
}
