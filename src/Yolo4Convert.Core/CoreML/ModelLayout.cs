using CoreML.Specification;
using Yolo4Convert.CoreML.Precision;
using Yolo4Convert.Graph;
using Yolo4Convert.Passes;
using Yolo4Convert.Weights;

namespace Yolo4Convert.CoreML;

/// <summary>
/// Where one convolution's weights go in a laid-out model: its Core ML layer (whose ConvolutionLayerParams has no
/// weights or bias yet), the Darknet layer they come from, the number of kernel values and their format.
/// </summary>
internal sealed record ConvSlot(NeuralNetworkLayer Layer, ConvolutionalLayer Conv, long KernelCount, WeightFormat Format);

/// <summary>
/// A model laid out without its convolution weights: the whole message structure (a few kilobytes) and one slot
/// per convolution. <see cref="Write"/> streams it to a file, reading the weights as it goes;
/// <see cref="Fill"/> builds the complete message the ordinary way, the reference the stream is tested against.
/// </summary>
internal sealed record ModelLayout(Model Model, IReadOnlyList<ConvSlot> Slots, WeightEncoding Encoding, double Epsilon)
{
    /// <summary>Serialises the model to <paramref name="output"/>, reading each convolution's values from <paramref name="source"/>.</summary>
    public void Write(ConvWeightsSource source, Stream output) =>
        new StreamingModelWriter(Slots, new ConvWeightWriter(Encoding, Epsilon, source)).Write(Model, output);

    /// <summary>Puts every convolution's encoded weights into the message, one whole layer at a time.</summary>
    public Model Fill(ConvWeightsSource source)
    {
        foreach (var slot in Slots)
        {
            var (kernel, bias) = BatchNormFolding.Fold(source.ReadWhole(slot.Conv), Epsilon);
            var p = slot.Layer.Convolution;
            (p.Weights, p.Bias) = Encoding.Encode(slot.Layer.Name, slot.Format, kernel, bias);
        }

        return Model;
    }
}
