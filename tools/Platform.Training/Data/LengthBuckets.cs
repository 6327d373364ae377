namespace Platform.Training.Data;

/// <summary>
/// Groups sequences of similar length into batches (sort a pool, cut it, shuffle the cuts), so most of
/// every batch is real tokens rather than padding.
/// </summary>
public sealed class LengthBuckets<T>(Func<T> next, Func<T, int> length, int batchSize, int poolBatches, int seed)
{
    private readonly Queue<List<T>> _ready = new();
    private readonly Random _shuffle = new(seed);

    public List<T> NextBatch()
    {
        if (_ready.Count == 0)
        {
            var pool = Enumerable.Range(0, batchSize * poolBatches).Select(_ => next()).OrderBy(length).ToList();
            var batches = pool.Chunk(batchSize).Select(c => c.ToList()).ToList();
            foreach (var batch in batches.OrderBy(_ => _shuffle.Next()))
            {
                _ready.Enqueue(batch);
            }
        }

        return _ready.Dequeue();
    }
}
