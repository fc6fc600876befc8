using System.Runtime.ExceptionServices;

namespace Yolo4Convert.Keras;

/// <summary>
/// The large kernels, read and transposed on a second thread in the order the writer takes them, into a ring of
/// floats twice the largest kernel: the reader runs ahead while the writer writes (through the structure's
/// declaration and every large write), and waits only when the ring is full. Keras' order alternates 3×3 and 1×1
/// kernels, so a reader one kernel ahead would idle during every large write.
/// </summary>
internal sealed class KerasKernelQueue : IDisposable
{
    private readonly float[] _ring;
    private readonly IReadOnlyList<KerasWeight> _kernels;
    private readonly KerasWeightValues _values;
    private readonly object _gate = new();

    // Regions of the ring holding kernels read and not yet released by the writer, oldest first.
    private readonly Queue<(int Start, int Count)> _held = new();
    private readonly Task _reader;
    private bool _stopped;
    private ExceptionDispatchInfo? _failure;

    public KerasKernelQueue(IReadOnlyList<KerasWeight> kernels, KerasWeightValues values)
    {
        _kernels = kernels;
        _values = values;
        _ring = GC.AllocateUninitializedArray<float>(2 * kernels.Select(k => k.Count).DefaultIfEmpty(0).Max());
        _reader = Task.Run(Read);
    }

    /// <summary>The ring the kernels are read into.</summary>
    public float[] Ring => _ring;

    /// <summary>
    /// Waits for the next kernel (they are taken in order, each released before the next is taken) and returns where
    /// it starts in <see cref="Ring"/>.
    /// </summary>
    public int Take()
    {
        lock (_gate)
        {
            while (_held.Count == 0 && _failure is null)
            {
                Monitor.Wait(_gate);
            }

            if (_held.Count == 0)
            {
                _failure!.Throw();
            }

            return _held.Peek().Start;
        }
    }

    /// <summary>Frees the ring space of the kernel taken.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _held.Dequeue();
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Stops the reader and waits for it: it uses the weights source, which the caller may close next.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            Monitor.PulseAll(_gate);
        }

        try
        {
            _reader.Wait();
        }
        catch (AggregateException)
        {
            // Its failure was reported by Take, or the writer failed first.
        }
    }

    private void Read()
    {
        try
        {
            var next = 0;
            foreach (var kernel in _kernels)
            {
                var start = next + kernel.Count <= _ring.Length ? next : 0;
                lock (_gate)
                {
                    while (!_stopped && _held.Any(h => start < h.Start + h.Count && h.Start < start + kernel.Count))
                    {
                        Monitor.Wait(_gate);
                    }

                    if (_stopped)
                    {
                        return;
                    }
                }

                _values.ReadKernel(kernel, _ring, start);
                next = start + kernel.Count;
                lock (_gate)
                {
                    _held.Enqueue((start, kernel.Count));
                    Monitor.PulseAll(_gate);
                }
            }
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                _failure = ExceptionDispatchInfo.Capture(ex);
                Monitor.PulseAll(_gate);
            }
        }
    }
}
