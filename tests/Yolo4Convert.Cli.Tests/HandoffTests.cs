using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Cli.Tests;

/// <summary>The rendezvous of `verify --layers`: one tensor at a time, in place, and no thread left waiting when either side stops.</summary>
public sealed class HandoffTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Use_GetsEachOfferedTensorInPlace_AndTheOfferWaitsUntilItIsUsed()
    {
        var handoff = new Handoff();
        var tensors = Enumerable.Range(0, 3).Select(i => new Tensor(new TensorShape(1, 1, 1), [i])).ToArray();
        var offered = new List<int>();
        var reference = Task.Run(() =>
        {
            for (var i = 0; i < tensors.Length; i++)
            {
                handoff.Offer(i, tensors[i]);
                lock (offered)
                {
                    offered.Add(i);
                }
            }

            handoff.Close();
        });

        for (var i = 0; i < tensors.Length; i++)
        {
            Assert.True(handoff.Use(i, t =>
            {
                Assert.Same(tensors[i], t);
                lock (offered)
                {
                    // The reference is still waiting for this layer to be used.
                    Assert.Equal(i, offered.Count);
                }
            }));
        }

        await reference.WaitAsync(Limit);
        Assert.False(handoff.Use(3, _ => Assert.Fail("nothing is offered after Close")));
    }

    [Fact]
    public async Task Cancel_ReleasesAWaitingOffer_WithAnException()
    {
        var handoff = new Handoff();
        var reference = Task.Run(() => handoff.Offer(0, new Tensor(new TensorShape(1, 1, 1))));
        await Task.Delay(50);

        handoff.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reference.WaitAsync(Limit));
    }

    [Fact]
    public async Task Use_ADifferentLayerThanOffered_IsAnInternalError_AndTheOfferStaysReleasable()
    {
        var handoff = new Handoff();
        var reference = Task.Run(() => handoff.Offer(4, new Tensor(new TensorShape(1, 1, 1))));

        var ex = Assert.Throws<InvalidOperationException>(() => handoff.Use(5, _ => { }));

        Assert.Contains("layer 5", ex.Message, StringComparison.Ordinal);
        handoff.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reference.WaitAsync(Limit));
    }
}
