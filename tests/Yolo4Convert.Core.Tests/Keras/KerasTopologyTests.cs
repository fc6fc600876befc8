using System.Text.Json.Nodes;
using Yolo4Convert.Keras;

namespace Yolo4Convert.Tests.Keras;

public sealed class KerasTopologyTests
{
    private static KerasLayer L(string name, params string[] inbound) => new(name, "X", new JsonObject(), inbound, []);

    [Fact]
    public void Order_BranchDefinedBeforeItsSibling_FollowsKerasDepthThenDiscovery()
    {
        // cfg order: input, a, c, b; outputs [b, c]. Keras numbers b before c (DFS from the first output),
        // and both have depth 0, so b comes first although c was defined first.
        var layers = new[] { L("input"), L("a", "input"), L("c", "a"), L("b", "a") };

        var ordered = KerasTopology.Order(layers, ["b", "c"]);

        Assert.Equal(["input", "a", "b", "c"], ordered.Select(l => l.Name));
    }

    [Fact]
    public void Order_LongerPathWins_AndUnreachableLayersAreDropped()
    {
        // out = concat(x, q) with x → p → q: x has depth 3 through p, so p comes after x; "dead" feeds nothing.
        var layers = new[] { L("input"), L("x", "input"), L("dead", "x"), L("p", "x"), L("q", "p"), L("out", "x", "q") };

        var ordered = KerasTopology.Order(layers, ["out"]);

        Assert.Equal(["input", "x", "p", "q", "out"], ordered.Select(l => l.Name));
    }
}
