using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Platform.Inference.Onnx;
using Platform.Inference.Onnx.Proto;
using Platform.Inference.Runtime;
using Google.Protobuf;

namespace Platform.Benchmarks;

/// <summary>The MatMul throughput ONNX Runtime reaches on this machine: the peak that generation is compared with.</summary>
public static class MatMulPeak
{
    /// <summary>A graph with one [size, size] x [size, size] MatMul of two inputs.</summary>
    public static void WriteModel(int size, string path)
    {
        var g = new GraphBuilder("matmul-peak");
        g.Input("a", TensorProto.Types.DataType.Float, size, size);
        g.Input("b", TensorProto.Types.DataType.Float, size, size);
        g.Node("MatMul", ["a", "b"], "y");
        g.Output("y", TensorProto.Types.DataType.Float, size, size);
        var model = new ModelProto { IrVersion = 8, Graph = g.Graph, ProducerName = "ttc-bench" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        File.WriteAllBytes(path, model.ToByteArray());
    }

    public static double GigaflopsPerSecond(int size, int repeats, InferenceOptions options)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ttc-matmul-{size}-{Guid.NewGuid():N}.onnx");
        WriteModel(size, path);

        using var session = Sessions.Create(path, options);
        var random = new Random(1);
        var a = Enumerable.Range(0, size * size).Select(_ => (float)random.NextDouble()).ToArray();
        var b = Enumerable.Range(0, size * size).Select(_ => (float)random.NextDouble()).ToArray();
        using var av = OrtValue.CreateTensorValueFromMemory(a, [size, size]);
        using var bv = OrtValue.CreateTensorValueFromMemory(b, [size, size]);
        using var y = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [size, size]);
        using var run = new RunOptions();
        session.Run(run, ["a", "b"], [av, bv], ["y"], [y]); // warm-up
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            session.Run(run, ["a", "b"], [av, bv], ["y"], [y]);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        File.Delete(path);
        return 2.0 * size * size * size / best / 1e9;
    }
}
