using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Platform.Inference.Runtime;

/// <summary>
/// An ONNX graph in the Optimum decoder layout and the one place that runs it: inputs <c>input_ids</c>,
/// <c>attention_mask</c> [batch, past + new], <c>position_ids</c> where the graph has it, and
/// <c>past_key_values.{i}.key/.value</c> [batch, kv_heads, past, head_dim]; outputs the named scores
/// (<c>logits</c>, or a verifier's head) and <c>present.{i}.key/.value</c>. A graph without a past
/// (a score head) takes the ids and the mask only. Used by <see cref="DecoderSession"/> and <see cref="PrmScorer"/>.
/// </summary>
public sealed class DecoderGraph : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();

    private DecoderGraph(string path, InferenceSession session)
    {
        Path = path;
        _session = session;
        var past = session.InputMetadata.Keys.Where(k => k.StartsWith("past_key_values.", StringComparison.Ordinal))
            .OrderBy(k => int.Parse(k.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture)).ThenBy(k => k.EndsWith(".value", StringComparison.Ordinal))
            .ToArray();
        PastNames = past;
        PresentNames = past.Select(n => "present." + n["past_key_values.".Length..]).ToArray();
        HasPositionIds = session.InputMetadata.ContainsKey("position_ids");
        IsMerged = session.InputMetadata.ContainsKey("use_cache_branch");
        CacheType = past.Length > 0 ? session.InputMetadata[past[0]].ElementDataType : TensorElementType.Float;
        CacheElementSize = ElementTypes.Size(CacheType, $"{path}: {(past.Length > 0 ? past[0] : "the cache")}");
    }

    /// <summary>The type of the past and present tensors (the cache is kept in it: float16 for a half-precision export).</summary>
    public TensorElementType CacheType { get; }

    /// <summary>Bytes per cache element.</summary>
    public int CacheElementSize { get; }

    /// <summary>
    /// An Optimum merged decoder (<c>decoder_model_merged.onnx</c>): its <c>use_cache_branch</c> [1] is fed
    /// true exactly when the past holds positions, as Optimum feeds it (an empty past takes the branch without one).
    /// </summary>
    public bool IsMerged { get; }

    /// <summary>The graph file.</summary>
    public string Path { get; }

    /// <summary>Past inputs in layer order (key, then value, per layer); empty for a graph without a cache.</summary>
    public IReadOnlyList<string> PastNames { get; }

    /// <summary>Present outputs matching <see cref="PastNames"/>.</summary>
    public IReadOnlyList<string> PresentNames { get; }

    public bool HasPositionIds { get; }

    public IReadOnlyDictionary<string, NodeMetadata> Inputs => _session.InputMetadata;

    public IReadOnlyDictionary<string, NodeMetadata> Outputs => _session.OutputMetadata;

    public static DecoderGraph Open(string path, InferenceOptions options)
    {
        var session = Sessions.Create(path, options);
        try
        {
            return new DecoderGraph(path, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One forward pass of ids [rows, width] over <paramref name="past"/> (one value per past input, or
    /// none for a graph without a cache): the scores of <paramref name="output"/> go to
    /// <paramref name="scores"/>, the new cache to <paramref name="present"/> (empty: not asked for).
    /// </summary>
    public void Run(long[] ids, long[] mask, long[] positions, long[] shape, IReadOnlyList<OrtValue> past, string output, OrtValue scores, IReadOnlyList<OrtValue> present)
    {
        var names = new List<string>(3 + past.Count) { "input_ids", "attention_mask" };
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, [shape[0], mask.Length / shape[0]]);
        using var positionValue = OrtValue.CreateTensorValueFromMemory(positions, shape);
        var values = new List<OrtValue>(3 + past.Count) { idsValue, maskValue };
        if (HasPositionIds)
        {
            names.Add("position_ids");
            values.Add(positionValue);
        }

        if (past.Count > 0)
        {
            names.AddRange(PastNames);
            values.AddRange(past);
        }

        using var branch = IsMerged ? OrtValue.CreateTensorValueFromMemory(new[] { past.Count > 0 && past[0].GetTensorTypeAndShape().Shape[2] > 0 }, [1]) : null;
        if (branch is not null)
        {
            names.Add("use_cache_branch");
            values.Add(branch);
        }

        _session.Run(_runOptions, names, values, [output, .. PresentNames.Take(present.Count)], [scores, .. present]);
    }

    /// <summary>A float tensor of <paramref name="shape"/> in memory ONNX Runtime owns.</summary>
    public static OrtValue Allocate(long[] shape) => Allocate(TensorElementType.Float, shape);

    /// <summary>Cache tensors (in the graph's cache type) of <paramref name="shape"/>.</summary>
    public OrtValue[] AllocateCache(int count, long[] shape) =>
        Enumerable.Range(0, count).Select(_ => Allocate(CacheType, shape)).ToArray();

    /// <summary>A tensor for the named output, in its type (logits are float16 in a half-precision export).</summary>
    public OrtValue AllocateOutput(string output, long[] shape)
    {
        var type = _session.OutputMetadata[output].ElementDataType;
        ElementTypes.Size(type, $"{Path}: output '{output}'");
        return Allocate(type, shape);
    }

    private static OrtValue Allocate(TensorElementType type, long[] shape) =>
        OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);

    public static void Free(IEnumerable<OrtValue> values)
    {
        foreach (var v in values)
        {
            v.Dispose();
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
