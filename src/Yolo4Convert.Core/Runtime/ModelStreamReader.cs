using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Runtime;

/// <summary>
/// Reads a .mlmodel one neural-network layer at a time, so the runtime can take each layer's weights into its own
/// layout and drop the message's copy before the next layer is read: the load's peak memory is then about one copy
/// of the weights, where parsing the whole message first needs two. The result is the message
/// <c>Model.Parser.ParseFrom</c> would give, minus what <c>onLayer</c> removes. Every field other than
/// Model.neuralNetwork (500) and its layers (1) is merged through the generated parser unchanged.
/// </summary>
internal static class ModelStreamReader
{
    private const int NeuralNetworkField = 500;
    private const int LayersField = 1;
    private const int LengthDelimited = 2;

    public static Model Read(Stream stream, string fileName, Action<NeuralNetworkLayer> onLayer)
    {
        var reader = new WireReader(new BufferedStream(stream, 1 << 16), fileName);
        var model = new Model();
        NeuralNetwork? network = null;
        var buffer = Array.Empty<byte>();
        while (reader.TryReadTag(out var tag))
        {
            if (tag >> 3 != NeuralNetworkField || (tag & 7) != LengthDelimited)
            {
                model.MergeFrom(reader.Field(tag));
                continue;
            }

            network ??= new NeuralNetwork();
            var size = reader.Length();
            var end = reader.Position + size;
            while (reader.Position < end)
            {
                var inner = reader.Tag();
                if (inner >> 3 != LayersField || (inner & 7) != LengthDelimited)
                {
                    network.MergeFrom(reader.Field(inner));
                    continue;
                }

                var length = reader.Length();
                if (buffer.Length < length)
                {
                    buffer = new byte[Math.Max(length, 2 * buffer.Length)];
                }

                reader.Bytes(buffer.AsSpan(0, length));
                var layer = NeuralNetworkLayer.Parser.ParseFrom(buffer, 0, length);
                onLayer(layer);
                network.Layers.Add(layer);
            }

            if (reader.Position != end)
            {
                throw reader.Error("a layer runs past the end of the neural network message");
            }
        }

        if (network is not null)
        {
            model.NeuralNetwork = network;
        }

        return model;
    }

    // Protobuf wire format: varint tags and lengths, fixed 4/8-byte values, length-delimited payloads.
    private sealed class WireReader(Stream stream, string fileName)
    {
        public long Position { get; private set; }

        public bool TryReadTag(out uint tag)
        {
            var first = stream.ReadByte();
            if (first < 0)
            {
                tag = 0;
                return false;
            }

            Position++;
            tag = (uint)Varint(first);
            return tag >> 3 != 0 ? true : throw Error("a field number 0");
        }

        public uint Tag() => TryReadTag(out var tag) ? tag : throw Error("the file ends inside a message");

        public ulong Varint() => Varint(NextByte());

        public int Length()
        {
            var length = Varint();
            return length <= int.MaxValue ? (int)length : throw Error($"a field of {length} bytes");
        }

        public void Bytes(Span<byte> target)
        {
            try
            {
                stream.ReadExactly(target);
            }
            catch (EndOfStreamException)
            {
                throw Error("the file ends inside a field");
            }

            Position += target.Length;
        }

        // The field as bytes (tag included) that MergeFrom can take.
        public byte[] Field(uint tag)
        {
            if ((tag & 7) == LengthDelimited)
            {
                // One array: tag, length, then the payload read straight into place.
                var length = Length();
                var header = CodedOutputStream.ComputeUInt32Size(tag) + CodedOutputStream.ComputeLengthSize(length);
                var field = new byte[header + length];
                var output = new CodedOutputStream(field);
                output.WriteTag(tag);
                output.WriteLength(length);
                output.Flush();
                Bytes(field.AsSpan(header));
                return field;
            }

            using var copy = new MemoryStream();
            var writer = new CodedOutputStream(copy);
            writer.WriteTag(tag);
            switch (tag & 7)
            {
                case 0:
                    writer.WriteUInt64(Varint());
                    break;
                case 1:
                    writer.WriteFixed64(System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(Fixed(8)));
                    break;
                case 5:
                    writer.WriteFixed32(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(Fixed(4)));
                    break;
                default:
                    throw Error($"wire type {tag & 7}");
            }

            writer.Flush();
            return copy.ToArray();
        }

        public ModelFormatException Error(string what) =>
            new($"the file is not a valid .mlmodel ({what} at byte {Position}).", new SourceLocation(fileName),
                "pass a .mlmodel written by yolo4convert or coremltools.");

        private byte[] Fixed(int size)
        {
            var value = new byte[size];
            Bytes(value);
            return value;
        }

        private int NextByte()
        {
            var b = stream.ReadByte();
            Position++;
            return b >= 0 ? b : throw Error("the file ends inside a field");
        }

        private ulong Varint(int first)
        {
            var value = (ulong)(first & 0x7F);
            for (var shift = 7; (first & 0x80) != 0; shift += 7)
            {
                if (shift > 63)
                {
                    throw Error("a varint longer than 10 bytes");
                }

                first = NextByte();
                value |= (ulong)(first & 0x7F) << shift;
            }

            return value;
        }
    }
}
