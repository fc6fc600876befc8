using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.CoreML.Precision;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.CoreML;

/// <summary>
/// Serialises a laid-out model (<see cref="ModelLayout"/>) to a stream with the convolution weights written as they
/// are read, so memory does not grow with the model. The bytes are those of <c>Model.WriteTo</c> on the filled
/// message: protobuf writes a message's fields in field-number order, so a message whose large field is streamed
/// is the ordinary serialisation of the rest of it placed before or after that field, and every length comes from
/// the counts (<see cref="Weights.WeightFormat.SerializedSize"/>) before a value is read.
/// <list type="bullet">
/// <item>Model: specificationVersion, description, isUpdatable (1, 2, 10), then pipeline (202) or neuralNetwork (500).</item>
/// <item>Pipeline: models (1), then names (2). NeuralNetwork: layers (1), then preprocessing (2).</item>
/// <item>A convolution layer: name, input, output (1–3), then convolution (100), whose weights and bias (90, 91) are its last fields.</item>
/// </list>
/// </summary>
internal sealed class StreamingModelWriter
{
    private readonly Dictionary<NeuralNetworkLayer, ConvSlot> _slots = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<IMessage, byte[]> _rest = new(ReferenceEqualityComparer.Instance);
    private readonly ConvWeightWriter _weights;

    public StreamingModelWriter(IEnumerable<ConvSlot> slots, ConvWeightWriter weights)
    {
        _weights = weights;
        foreach (var slot in slots)
        {
            var p = slot.Layer.Convolution ?? throw new InvalidOperationException($"slot {slot.Layer.Name} is not a convolution");
            if (p.Weights is not null || p.Bias is not null)
            {
                throw new InvalidOperationException($"slot {slot.Layer.Name} already holds weights");
            }

            _slots.Add(slot.Layer, slot);
        }
    }

    public void Write(Model model, Stream output)
    {
        var size = ModelSize(model);
        if (size > int.MaxValue)
        {
            throw new UnsupportedFeatureException(
                $"the model would be {size:N0} bytes; a Core ML model file is one protobuf message, limited to 2 GiB.", null,
                "store the weights in fewer bits (--precision fp16 or --quantize).");
        }

        var buffered = new BufferedStream(output, 1 << 16);
        WriteModel(model, buffered);
        buffered.Flush();
    }

    private long ModelSize(Model m) => m.TypeCase switch
    {
        Model.TypeOneofCase.NeuralNetwork => Rest(m).Length + ProtoFraming.FieldSize(Model.NeuralNetworkFieldNumber, NetworkSize(m.NeuralNetwork)),
        Model.TypeOneofCase.Pipeline => Rest(m).Length + ProtoFraming.FieldSize(Model.PipelineFieldNumber, PipelineSize(m.Pipeline)),
        _ => m.CalculateSize(),
    };

    private long PipelineSize(global::CoreML.Specification.Pipeline p) => p.Models.Sum(m => ProtoFraming.FieldSize(global::CoreML.Specification.Pipeline.ModelsFieldNumber, ModelSize(m))) + Rest(p).Length;

    private long NetworkSize(NeuralNetwork nn) => nn.Layers.Sum(l => ProtoFraming.FieldSize(NeuralNetwork.LayersFieldNumber, LayerSize(l))) + Rest(nn).Length;

    private long LayerSize(NeuralNetworkLayer layer) => _slots.TryGetValue(layer, out var slot)
        ? Rest(layer).Length + ProtoFraming.FieldSize(NeuralNetworkLayer.ConvolutionFieldNumber, ParamsSize(slot))
        : layer.CalculateSize();

    private long ParamsSize(ConvSlot slot)
    {
        var (kernel, bias) = _weights.Sizes(slot);
        return slot.Layer.Convolution.CalculateSize()
            + ProtoFraming.FieldSize(ConvolutionLayerParams.WeightsFieldNumber, kernel)
            + ProtoFraming.FieldSize(ConvolutionLayerParams.BiasFieldNumber, bias);
    }

    // The serialisation of a message without its streamed field (cached: sizes and writing both need it).
    private byte[] Rest(IMessage message)
    {
        if (!_rest.TryGetValue(message, out var bytes))
        {
            IMessage rest = message switch
            {
                Model m => Without(m),
                global::CoreML.Specification.Pipeline p => Without(p),
                NeuralNetwork nn => Without(nn),
                NeuralNetworkLayer l => Without(l),
                _ => throw new InvalidOperationException($"{message.Descriptor.Name} is not streamed"),
            };
            bytes = rest.ToByteArray();
            _rest[message] = bytes;
        }

        return bytes;
    }

    // Copies with every other field kept: in each case those fields all come before the streamed one (Model,
    // layer) or after it (Pipeline, NeuralNetwork), so they are written as the copy's serialisation.
    private static Model Without(Model m)
    {
        var copy = m.Clone();
        copy.ClearType();
        return copy;
    }

    private static global::CoreML.Specification.Pipeline Without(global::CoreML.Specification.Pipeline p)
    {
        var copy = p.Clone();
        copy.Models.Clear();
        return copy;
    }

    private static NeuralNetwork Without(NeuralNetwork nn)
    {
        var copy = nn.Clone();
        copy.Layers.Clear();
        return copy;
    }

    private static NeuralNetworkLayer Without(NeuralNetworkLayer l)
    {
        var copy = l.Clone();
        copy.ClearLayer();
        return copy;
    }

    private void WriteModel(Model m, Stream output)
    {
        switch (m.TypeCase)
        {
            case Model.TypeOneofCase.NeuralNetwork:
                output.Write(Rest(m));
                ProtoFraming.WriteField(output, Model.NeuralNetworkFieldNumber, NetworkSize(m.NeuralNetwork));
                WriteNetwork(m.NeuralNetwork, output);
                break;
            case Model.TypeOneofCase.Pipeline:
                output.Write(Rest(m));
                ProtoFraming.WriteField(output, Model.PipelineFieldNumber, PipelineSize(m.Pipeline));
                foreach (var stage in m.Pipeline.Models)
                {
                    ProtoFraming.WriteField(output, global::CoreML.Specification.Pipeline.ModelsFieldNumber, ModelSize(stage));
                    WriteModel(stage, output);
                }

                output.Write(Rest(m.Pipeline));
                break;
            default:
                m.WriteTo(output);
                break;
        }
    }

    private void WriteNetwork(NeuralNetwork nn, Stream output)
    {
        foreach (var layer in nn.Layers)
        {
            ProtoFraming.WriteField(output, NeuralNetwork.LayersFieldNumber, LayerSize(layer));
            if (_slots.TryGetValue(layer, out var slot))
            {
                output.Write(Rest(layer));
                ProtoFraming.WriteField(output, NeuralNetworkLayer.ConvolutionFieldNumber, ParamsSize(slot));
                layer.Convolution.WriteTo(output);
                _weights.Write(slot, output);
            }
            else
            {
                layer.WriteTo(output);
            }
        }

        output.Write(Rest(nn));
    }
}
