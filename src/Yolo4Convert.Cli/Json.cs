using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Yolo4Convert.Cli;

/// <summary>
/// Writes the --json reports: indented JSON with camelCase names, as JsonSerializer's defaults would. The reports are
/// anonymous objects, which JsonSerializer can only read by reflection-based serialization; that mode is off in the
/// Native AOT binary and the source generator cannot name anonymous types. So this walks the public properties
/// itself, with Utf8JsonWriter doing the formatting: objects, sequences, string-keyed dictionaries, strings, numbers,
/// booleans, enums (as numbers) and null; NaN and infinities as the strings "NaN", "Infinity", "-Infinity".
/// </summary>
internal static class Json
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize(object value)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            Write(writer, value);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void Write(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case float or double when !double.IsFinite(Convert.ToDouble(value, CultureInfo.InvariantCulture)):
                // A damaged model can compute infinite boxes: written as "NaN", "Infinity" or "-Infinity" (strings, as
                // JsonNumberHandling.AllowNamedFloatingPointLiterals does) rather than failing.
                var named = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                w.WriteStringValue(double.IsNaN(named) ? "NaN" : named > 0 ? "Infinity" : "-Infinity");
                break;
            case float f:
                w.WriteNumberValue(f);
                break;
            case double d:
                w.WriteNumberValue(d);
                break;
            case decimal m:
                w.WriteNumberValue(m);
                break;
            case Enum e:
                w.WriteNumberValue(Convert.ToInt64(e, CultureInfo.InvariantCulture));
                break;
            case byte or ushort or uint or ulong:
                w.WriteNumberValue(Convert.ToUInt64(value, CultureInfo.InvariantCulture));
                break;
            case sbyte or short or int or long:
                w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case IDictionary dictionary:
                w.WriteStartObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    w.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture)!);
                    Write(w, entry.Value);
                }

                w.WriteEndObject();
                break;
            case IEnumerable sequence:
                w.WriteStartArray();
                foreach (var item in sequence)
                {
                    Write(w, item);
                }

                w.WriteEndArray();
                break;
            default:
                WriteObject(w, value);
                break;
        }
    }

    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification =
        "Reports are objects of this assembly or Yolo4Convert.Core, both rooted whole (TrimmerRootAssembly in Publishing.targets), so every public property is kept.")]
    private static void WriteObject(Utf8JsonWriter w, object value)
    {
        w.WriteStartObject();
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.CanRead && property.GetIndexParameters().Length == 0)
            {
                w.WritePropertyName(JsonNamingPolicy.CamelCase.ConvertName(property.Name));
                Write(w, property.GetValue(value));
            }
        }

        w.WriteEndObject();
    }
}
