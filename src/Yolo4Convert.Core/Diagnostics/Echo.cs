using System.Text;

namespace Yolo4Convert.Diagnostics;

/// <summary>Input text quoted in a message: control characters escaped, cut to a readable length.</summary>
public static class Echo
{
    /// <summary>At most <paramref name="max"/> characters of <paramref name="text"/>, with '…' when cut.</summary>
    public static string Of(string? text, int max = 60)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var sb = new StringBuilder(Math.Min(text.Length, max) + 8);
        var shown = 0;
        foreach (var ch in text)
        {
            if (shown >= max)
            {
                return sb.Append('…').ToString();
            }

            var escaped = ch switch
            {
                '\t' => "\\t",
                '\r' => "\\r",
                '\n' => "\\n",
                '\0' => "\\0",
                _ when char.IsControl(ch) || ch == '\uFFFD' || char.IsSurrogate(ch) => $"\\x{(int)ch:X2}",
                _ => null,
            };
            if (escaped is null)
            {
                sb.Append(ch);
            }
            else
            {
                sb.Append(escaped);
            }

            shown++;
        }

        return sb.ToString();
    }
}
