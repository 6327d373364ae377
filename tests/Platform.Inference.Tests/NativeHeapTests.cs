using Platform.Inference.Runtime;

namespace Platform.Inference.Tests;

/// <summary>Decision 0026: the first session of a process on Linux keeps freed native memory (glibc accepts both settings).</summary>
[Collection(ShippedModelsCollection.Name)]
public sealed class NativeHeapTests(ShippedModels models)
{
    [Fact]
    public void Opening_a_session_on_linux_keeps_freed_native_memory()
    {
        Assert.NotNull(models.Generator); // the collection's sessions are open, made with the default KeepFreedNativeMemory
        Assert.True(new InferenceOptions().KeepFreedNativeMemory);
        Assert.Equal(OperatingSystem.IsLinux(), NativeHeap.Kept);
    }
}
