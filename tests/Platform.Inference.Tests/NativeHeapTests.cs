using System.Runtime.InteropServices;
using Platform.Inference.Models;
using Platform.Inference.Runtime;

namespace Platform.Inference.Tests;

/// <summary>
/// Decision 0026: opening a session with the default options on Linux keeps freed native memory (glibc
/// accepts both settings), and a trim hands what is free back to the system.
/// </summary>
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

    [Fact]
    public void Memory_freed_while_kept_stays_resident_until_a_trim_returns_it()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // glibc only; elsewhere the system's own policy stands
        }

        using (DecoderSession.Open(ModelDirectory.Load(Repository.Model("gen-small")), new InferenceOptions { IntraOpThreads = 1, PrefixCacheMegabytes = 0 }))
        {
            Assert.True(NativeHeap.Kept);
        }

        // 128 blocks of 1 MB, each under the 32 MB served from the heap, written; then every other one freed, so
        // the freed memory lies between blocks in use (a heap's free top, or an empty heap, glibc may release itself).
        const int Block = 1 << 20;
        var ones = Enumerable.Repeat((byte)1, Block).ToArray();
        var blocks = Enumerable.Range(0, 128).Select(_ => Marshal.AllocHGlobal(Block)).ToList(); // malloc
        blocks.ForEach(b => Marshal.Copy(ones, 0, b, Block));
        var written = ResidentMegabytes();
        blocks.Where((_, i) => i % 2 == 0).ToList().ForEach(Marshal.FreeHGlobal);
        var freed = ResidentMegabytes();
        try
        {
            Assert.True(written - freed < 32, $"freed memory should stay in the process: {written} MB resident when written, {freed} MB after the frees");
            Assert.True(NativeHeap.Trim());
            var trimmed = ResidentMegabytes();
            Assert.True(freed - trimmed >= 48, $"a trim should return the 64 freed blocks: {freed} MB resident before, {trimmed} MB after");
        }
        finally
        {
            blocks.Where((_, i) => i % 2 == 1).ToList().ForEach(Marshal.FreeHGlobal);
        }
    }

    private static long ResidentMegabytes() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
}
