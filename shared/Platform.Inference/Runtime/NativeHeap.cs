using System.Runtime.InteropServices;

namespace Platform.Inference.Runtime;

/// <summary>
/// How the process's C heap (glibc malloc, which ONNX Runtime allocates its tensors from) treats freed
/// memory. By default glibc gives a freed block of 128 KB or more straight back to the kernel and trims
/// its heap once 128 KB lie free at the top, so a pass that allocates and frees its KV tensors faults the
/// same amount of fresh, zeroed pages in again on the next pass. A search runs many short passes, and
/// there these page faults and the copies into fresh pages took more CPU than the model (decision 0026).
/// <see cref="KeepFreedMemory"/> serves blocks up to 32 MB from the heap and never trims it: freed memory
/// is reused, and the process's resident memory stays at its peak instead of falling back. <see cref="Trim"/>
/// hands the free pages back now and then (<see cref="NativeHeapTrim"/>, once a minute by default), so memory
/// freed after a peak is returned at the cost of faulting it in again once per trim, not once per pass.
/// </summary>
public static partial class NativeHeap
{
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD
    private const int LargestHeapBlock = 32 << 20; // glibc's upper limit for M_MMAP_THRESHOLD on 64-bit
    private static int _kept;

    /// <summary>Whether freed memory is being kept (set once per process; false where the C library is not glibc).</summary>
    public static bool Kept => Volatile.Read(ref _kept) == 2;

    /// <summary>Applies the policy above once per process; on a system without glibc its own policy stands.</summary>
    public static void KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.CompareExchange(ref _kept, 1, 0) != 0)
        {
            return;
        }

        try
        {
            var applied = Mallopt(MmapThreshold, LargestHeapBlock) == 1 && Mallopt(TrimThreshold, int.MaxValue) == 1;
            Volatile.Write(ref _kept, applied ? 2 : 1);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    /// <summary>Returns the heap's free pages to the system (glibc's <c>malloc_trim</c>, every arena) where freed memory is being kept; true if any were returned.</summary>
    public static bool Trim() => Kept && MallocTrim(0) == 1;

    [LibraryImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}
