using Microsoft.ML.OnnxRuntime;

namespace Platform.Inference.Runtime;

/// <summary>Bound from the <c>Inference</c> section.</summary>
public sealed class InferenceOptions
{
    public const string Section = "Inference";

    /// <summary>"cpu" (default) or "cuda".</summary>
    public string ExecutionProvider { get; set; } = "cpu";

    public int DeviceId { get; set; }

    /// <summary>Threads per operator; 0 lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Let idle ONNX Runtime worker threads spin between operators. Off by default: when a Generator,
    /// a Verifier and an Aggregator share cores, spinning threads take CPU the others need.
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>
    /// Keep memory ONNX Runtime frees in the process for its next pass instead of returning it to the
    /// system (<see cref="NativeHeap"/>, decision 0026). On by default: without it a search spends more CPU
    /// on page faults than on its model; off, a worker's resident memory falls back after a peak.
    /// </summary>
    public bool KeepFreedNativeMemory { get; set; } = true;

    /// <summary>
    /// With <see cref="KeepFreedNativeMemory"/>, how often the kept memory that is free is handed back to the
    /// system (<see cref="NativeHeap.Trim"/>); 0 never. Passes reuse freed memory in between.
    /// </summary>
    public int NativeHeapTrimSeconds { get; set; } = 60;

    /// <summary>
    /// The shared libraries the CUDA provider needs, checked before it is asked for (default
    /// <see cref="Runtime.CudaLibraries.Required"/>; another ONNX Runtime build may need other versions).
    /// </summary>
    public string[]? CudaLibraries { get; set; }

    /// <summary>
    /// Memory each generator model's prefix cache may hold (KV caches of prompts and search prefixes kept
    /// across requests, <see cref="PrefixCache"/>); 0 keeps nothing after an admission.
    /// </summary>
    public int PrefixCacheMegabytes { get; set; } = DefaultPrefixCacheMegabytes;

    public const int DefaultPrefixCacheMegabytes = 512;

    /// <summary>The largest <see cref="PrefixCacheMegabytes"/> accepted (1 TiB).</summary>
    public const int MaxPrefixCacheMegabytes = 1 << 20;

    /// <summary>The same settings with another number of intra-op threads.</summary>
    public InferenceOptions WithIntraOpThreads(int threads)
    {
        var copy = (InferenceOptions)MemberwiseClone();
        copy.IntraOpThreads = threads;
        return copy;
    }
}

/// <summary>The libraries ONNX Runtime's CUDA provider (1.32, built for CUDA 13 and cuDNN 9) loads, probed by name.</summary>
public static class CudaLibraries
{
    public static readonly string[] Required = ["libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcufft.so.12", "libcurand.so.10", "libcudnn.so.9"];

    /// <summary>Why the CUDA provider cannot start on this host (the libraries the loader cannot find), or null.</summary>
    public static string? Problem(InferenceOptions options) =>
        Missing(options) is { Count: > 0 } missing
            ? $"Inference:ExecutionProvider is 'cuda' but this host lacks {string.Join(", ", missing)} (the CUDA 13 and cuDNN 9 libraries ONNX Runtime's CUDA provider loads); install them or set Inference:ExecutionProvider=cpu"
            : null;

    /// <summary>The libraries of <paramref name="options"/> (default <see cref="Required"/>) the dynamic loader cannot find.</summary>
    public static IReadOnlyList<string> Missing(InferenceOptions options) =>
        [.. (options.CudaLibraries ?? Required).Where(name =>
        {
            if (!System.Runtime.InteropServices.NativeLibrary.TryLoad(name, out var handle))
            {
                return true;
            }

            System.Runtime.InteropServices.NativeLibrary.Free(handle);
            return false;
        })];
}

public static class Sessions
{
    /// <summary>
    /// An <see cref="InferenceSession"/> on the configured execution provider. Asking for CUDA where
    /// this build has no CUDA provider is an error, never a silent fall back to the CPU.
    /// </summary>
    public static InferenceSession Create(string onnxPath, InferenceOptions options)
    {
        if (options.KeepFreedNativeMemory)
        {
            NativeHeap.KeepFreedMemory();
        }

        var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        try
        {
            if (options.IntraOpThreads > 0)
            {
                so.IntraOpNumThreads = options.IntraOpThreads;
            }

            so.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");

            switch (options.ExecutionProvider.ToLowerInvariant())
            {
                case "cpu":
                    break;
                case "cuda":
                    var available = OrtEnv.Instance().GetAvailableProviders();
                    if (!available.Contains("CUDAExecutionProvider"))
                    {
                        throw new InvalidOperationException(
                            $"Inference:ExecutionProvider is 'cuda' but this build of ONNX Runtime has no CUDA provider (available: {string.Join(", ", available)}). " +
                            "It was built with -p:UseOnnxRuntimeCpu=true; build without it (package Microsoft.ML.OnnxRuntime.Gpu, docs/decisions/0005-onnxruntime-gpu.md).");
                    }

                    if (CudaLibraries.Problem(options) is { } problem)
                    {
                        throw new InvalidOperationException(problem);
                    }

                    try
                    {
                        so.AppendExecutionProvider_CUDA(options.DeviceId);
                    }
                    catch (OnnxRuntimeException e)
                    {
                        throw new InvalidOperationException($"Inference:ExecutionProvider is 'cuda' but the CUDA provider could not start on device {options.DeviceId}: {e.Message}", e);
                    }

                    break;
                default:
                    throw new ArgumentException($"Inference:ExecutionProvider must be 'cpu' or 'cuda' (was '{options.ExecutionProvider}')");
            }

            try
            {
                return new InferenceSession(onnxPath, so);
            }
            catch (OnnxRuntimeException e)
            {
                throw new InvalidDataException($"{onnxPath} could not be loaded by ONNX Runtime: {e.Message}", e);
            }
        }
        finally
        {
            so.Dispose();
        }
    }
}
