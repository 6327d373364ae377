using Platform.Inference.Models;
using Platform.Inference.Runtime;

namespace Platform.Inference.Tests;

/// <summary>Decision 0026: opening a session with the default options on Linux keeps freed native memory (glibc accepts both settings).</summary>
public sealed class NativeHeapTests
{
    [Fact]
    public void Opening_a_session_on_linux_keeps_freed_native_memory()
    {
        var options = new InferenceOptions { IntraOpThreads = 1, PrefixCacheMegabytes = 0 };
        Assert.True(options.KeepFreedNativeMemory);
        using var session = DecoderSession.Open(ModelDirectory.Load(Repository.Model("gen-small")), options);
        Assert.Equal(OperatingSystem.IsLinux(), NativeHeap.Kept);
    }
}
