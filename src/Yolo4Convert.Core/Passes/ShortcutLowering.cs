namespace Yolo4Convert.Passes;

/// <summary>
/// Darknet's [shortcut] over layers of unequal channel counts (shortcut_multilayer_cpu, src/blas.c): each `from`
/// adds into the first min(C, C_from) channels only. Targets supply slice/add/concat; the plan is the same for all.
/// </summary>
internal static class ShortcutLowering
{
    public static T Lower<T>(
        T input, int channels, IReadOnlyList<(T Value, int Channels)> froms,
        Func<T, int, int, string, T> slice, Func<IReadOnlyList<T>, string, T> add, Func<T, T, string, T> concat)
    {
        var acc = input;
        var sameSize = new List<T>();
        for (var k = 0; k < froms.Count; k++)
        {
            var (from, c) = froms[k];
            if (c == channels)
            {
                sameSize.Add(from);
            }
            else if (c > channels)
            {
                sameSize.Add(slice(from, 0, channels, $"from{k + 1}"));
            }
            else
            {
                var head = slice(acc, 0, c, $"head{k + 1}");
                var tail = slice(acc, c, channels, $"tail{k + 1}");
                acc = concat(add([head, from], $"add{k + 1}"), tail, $"join{k + 1}");
            }
        }

        return sameSize.Count == 0 ? acc : add([acc, .. sameSize], string.Empty);
    }
}
