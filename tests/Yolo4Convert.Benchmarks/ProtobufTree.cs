namespace Yolo4Convert.Benchmarks;

/// <summary>
/// A schema-free view of protobuf wire data for structure-aware fuzzing: fields with their varint, fixed or
/// length-delimited payloads; a length-delimited payload that parses as a message is kept as children, so a
/// mutation deep inside (a stride, a padding amount, a metadata string) re-encodes every enclosing length.
/// </summary>
internal sealed class ProtobufField
{
    public int Number { get; set; }

    public int WireType { get; set; }

    public ulong Value { get; set; }

    public byte[]? Bytes { get; set; }

    public List<ProtobufField>? Children { get; set; }
}

internal static class ProtobufTree
{
    private const int MaxNestedParse = 1 << 16;

    public static List<ProtobufField>? Parse(ReadOnlySpan<byte> data, int depth = 0)
    {
        var fields = new List<ProtobufField>();
        var p = 0;
        while (p < data.Length)
        {
            if (!TryVarint(data, ref p, out var tag) || tag >> 3 == 0 || tag >> 3 > 536_870_911)
            {
                return null;
            }

            var field = new ProtobufField { Number = (int)(tag >> 3), WireType = (int)(tag & 7) };
            switch (field.WireType)
            {
                case 0:
                    if (!TryVarint(data, ref p, out var v))
                    {
                        return null;
                    }

                    field.Value = v;
                    break;
                case 1:
                case 5:
                    var n = field.WireType == 1 ? 8 : 4;
                    if (p + n > data.Length)
                    {
                        return null;
                    }

                    field.Bytes = data.Slice(p, n).ToArray();
                    p += n;
                    break;
                case 2:
                    if (!TryVarint(data, ref p, out var length) || length > (ulong)(data.Length - p))
                    {
                        return null;
                    }

                    var payload = data.Slice(p, (int)length);
                    p += (int)length;
                    field.Children = depth < 12 && payload.Length > 0 && payload.Length <= MaxNestedParse ? Parse(payload, depth + 1) : null;
                    field.Bytes = field.Children is null ? payload.ToArray() : null;
                    break;
                default:
                    return null;
            }

            fields.Add(field);
        }

        return fields;
    }

    public static byte[] Serialize(List<ProtobufField> fields)
    {
        using var stream = new MemoryStream();
        Write(stream, fields);
        return stream.ToArray();
    }

    public static IEnumerable<ProtobufField> All(List<ProtobufField> fields)
    {
        foreach (var f in fields)
        {
            yield return f;
            if (f.Children is not null)
            {
                foreach (var c in All(f.Children))
                {
                    yield return c;
                }
            }
        }
    }

    public static IEnumerable<List<ProtobufField>> Lists(List<ProtobufField> fields)
    {
        yield return fields;
        foreach (var f in fields.Where(f => f.Children is not null))
        {
            foreach (var l in Lists(f.Children!))
            {
                yield return l;
            }
        }
    }

    private static void Write(Stream s, List<ProtobufField> fields)
    {
        foreach (var f in fields)
        {
            Varint(s, ((ulong)f.Number << 3) | (uint)f.WireType);
            switch (f.WireType)
            {
                case 0:
                    Varint(s, f.Value);
                    break;
                case 1:
                case 5:
                    s.Write(f.Bytes);
                    break;
                default:
                    var payload = f.Children is not null ? Serialize(f.Children) : f.Bytes!;
                    Varint(s, (ulong)payload.Length);
                    s.Write(payload);
                    break;
            }
        }
    }

    private static void Varint(Stream s, ulong v)
    {
        while (v >= 0x80)
        {
            s.WriteByte((byte)(v | 0x80));
            v >>= 7;
        }

        s.WriteByte((byte)v);
    }

    private static bool TryVarint(ReadOnlySpan<byte> data, ref int p, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (p >= data.Length)
            {
                return false;
            }

            var b = data[p++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
