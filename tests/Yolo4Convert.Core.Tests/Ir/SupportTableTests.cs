using Yolo4Convert.CoreML;
using Yolo4Convert.Graph;
using Yolo4Convert.Keras;

namespace Yolo4Convert.Tests.Ir;

/// <summary>The README's table of activations by output format says what the writers' op tables map.</summary>
public sealed class SupportTableTests
{
    [Fact]
    public void ReadmeActivationTable_EqualsEachTargetsCoverage()
    {
        var lines = File.ReadAllLines(Fixtures.Repo("README.md"));
        var header = Array.FindIndex(lines, l => l.StartsWith("| activation | Core ML `.mlmodel` | Keras `.h5` |", StringComparison.Ordinal));
        Assert.True(header >= 0, "the README has no activation table");
        var rows = lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|'))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries)[1..^1])
            .ToDictionary(cells => cells[0], cells => (CoreML: cells[1] == "yes", Keras: cells[2] == "yes"));

        Assert.Equal(Enum.GetValues<Activation>().Select(ActivationNames.Name).Order(), rows.Keys.Order());
        foreach (var activation in Enum.GetValues<Activation>())
        {
            var row = rows[ActivationNames.Name(activation)];
            Assert.True(row.CoreML == NeuralNetworkLowering.Coverage.MappedActivations.Contains(activation), $"README row {ActivationNames.Name(activation)}, Core ML");
            Assert.True(row.Keras == KerasLowering.Coverage.MappedActivations.Contains(activation), $"README row {ActivationNames.Name(activation)}, Keras");
        }
    }
}
