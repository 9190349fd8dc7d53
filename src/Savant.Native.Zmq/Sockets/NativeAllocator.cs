using Savant.Native.Interop;

namespace Savant.Native.Sockets;

/// <summary>
/// Tunes the C allocator that libzmq uses for message buffers (glibc <c>malloc</c>), so that large video frames are
/// served from reused heap memory instead of fresh <c>mmap</c> pages.
/// </summary>
/// <remarks>
/// <para><b>Why.</b> libzmq allocates every received message larger than its in-batch buffer, and every copy-sent message,
/// with <c>malloc</c>. With glibc's defaults a 6 MB allocation may be served by <c>mmap</c> and given back with
/// <c>munmap</c> (or the heap top is trimmed after the free), so each message touches fresh pages: about 1,500 minor
/// page faults per 6,220,800-byte frame, at 8–37 µs each on a VM. Raising <c>M_MMAP_THRESHOLD</c> above the frame size
/// and <c>M_TRIM_THRESHOLD</c> well above it keeps those buffers in the heap and reuses them.</para>
/// <para><b>When.</b> By default the library applies <see cref="DefaultMmapThreshold"/> and
/// <see cref="DefaultTrimThreshold"/> once, when the first <see cref="ZmqContext"/> is created
/// (<see cref="EnsureApplied"/>). It does nothing when: <see cref="AutoApply"/> was set to false before that; the
/// environment variable <c>SAVANT_NATIVE_MALLOPT</c> is <c>0</c>, <c>off</c> or <c>false</c>; the process already
/// configures glibc's allocator through <c>MALLOC_MMAP_THRESHOLD_</c>, <c>MALLOC_TRIM_THRESHOLD_</c>, <c>MALLOC_TOP_PAD_</c>
/// or a <c>glibc.malloc.*</c> entry in <c>GLIBC_TUNABLES</c> (an explicit choice wins); or the C library is not glibc
/// (musl, macOS, Windows: a no-op).</para>
/// <para><b>Cost.</b> Freed frame buffers stay mapped (up to the trim threshold) instead of returning to the OS, and a
/// fixed <c>M_MMAP_THRESHOLD</c> turns off glibc's dynamic threshold. The settings are process-wide.</para>
/// </remarks>
public static class NativeAllocator
{
    /// <summary>Allocations up to this size come from the heap, not from <c>mmap</c>: 32 MiB, glibc's maximum for
    /// <c>M_MMAP_THRESHOLD</c> on 64-bit systems (a 4K RGBA frame, 33,177,600 bytes, is just above it).</summary>
    public const int DefaultMmapThreshold = 32 * 1024 * 1024;

    /// <summary>The heap is trimmed only when this much memory is free at its top: 256 MiB.</summary>
    public const int DefaultTrimThreshold = 256 * 1024 * 1024;

    /// <summary>The environment variable that turns the automatic tuning off (<c>0</c>, <c>off</c>, <c>false</c>).</summary>
    public const string DisableVariable = "SAVANT_NATIVE_MALLOPT";

    private static readonly Lock Gate = new();
    private static bool _autoApply = true;
    private static bool _attempted;
    private static string _status = "not applied yet";

    /// <summary>Whether the first <see cref="ZmqContext"/> applies the defaults (default true). Set it before creating
    /// any context; changing it afterwards has no effect on settings already applied.</summary>
    public static bool AutoApply
    {
        get { lock (Gate) { return _autoApply; } }
        set { lock (Gate) { _autoApply = value; } }
    }

    /// <summary>Whether the process uses glibc (only there does the tuning do anything).</summary>
    public static bool IsGlibc { get; } = DetectGlibc();

    /// <summary>The mmap threshold this class set, or null when it set none.</summary>
    public static int? AppliedMmapThreshold { get; private set; }

    /// <summary>The trim threshold this class set, or null when it set none.</summary>
    public static int? AppliedTrimThreshold { get; private set; }

    /// <summary>A one-line description of what was (or was not) done and why, for logs and benchmark reports.</summary>
    public static string Status
    {
        get { lock (Gate) { return _status; } }
    }

    /// <summary>
    /// Applies the default thresholds once per process unless disabled (see the remarks of <see cref="NativeAllocator"/>).
    /// Called by the <see cref="ZmqContext"/> constructor; calling it again does nothing.
    /// </summary>
    /// <returns>True when the thresholds are in effect because of this class.</returns>
    public static bool EnsureApplied()
    {
        lock (Gate)
        {
            if (_attempted)
            {
                return AppliedMmapThreshold is not null;
            }

            _attempted = true;
            if (!_autoApply)
            {
                _status = "off (AutoApply = false)";
                return false;
            }

            string? reason = DisabledByEnvironment();
            if (reason is not null)
            {
                _status = reason;
                return false;
            }

            return ApplyCore(DefaultMmapThreshold, DefaultTrimThreshold);
        }
    }

    /// <summary>
    /// Sets glibc's <c>M_MMAP_THRESHOLD</c> and <c>M_TRIM_THRESHOLD</c> now (regardless of <see cref="AutoApply"/> and the
    /// environment). A no-op returning false off glibc.
    /// </summary>
    /// <param name="mmapThreshold">Bytes; 0 to 32 MiB (glibc rejects more).</param>
    /// <param name="trimThreshold">Bytes; 0 or more.</param>
    /// <returns>True when glibc accepted both values.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public static bool Apply(int mmapThreshold, int trimThreshold)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mmapThreshold);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mmapThreshold, DefaultMmapThreshold);
        ArgumentOutOfRangeException.ThrowIfNegative(trimThreshold);
        lock (Gate)
        {
            _attempted = true;
            return ApplyCore(mmapThreshold, trimThreshold);
        }
    }

    /// <summary>The glibc <c>MALLOC_*</c> and <c>GLIBC_TUNABLES</c> environment settings of this process, as
    /// <c>NAME=value</c> joined by spaces (empty when none), for benchmark reports.</summary>
    public static string DescribeEnvironment()
    {
        var parts = new List<string>();
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            string key = (string)entry.Key;
            if (key.StartsWith("MALLOC_", StringComparison.Ordinal) || key == "GLIBC_TUNABLES")
            {
                parts.Add($"{key}={entry.Value}");
            }
        }

        parts.Sort(StringComparer.Ordinal);
        return string.Join(' ', parts);
    }

    private static bool ApplyCore(int mmapThreshold, int trimThreshold)
    {
        if (!IsGlibc)
        {
            _status = "no-op (not glibc)";
            return false;
        }

        bool ok;
        try
        {
            // Trim first: setting the mmap threshold also fixes glibc's dynamic thresholds.
            ok = Libc.Mallopt(Libc.MTrimThreshold, trimThreshold) == 1 && Libc.Mallopt(Libc.MMmapThreshold, mmapThreshold) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _status = "no-op (mallopt not found)";
            return false;
        }

        if (ok)
        {
            AppliedMmapThreshold = mmapThreshold;
            AppliedTrimThreshold = trimThreshold;
            _status = $"mallopt M_MMAP_THRESHOLD={mmapThreshold} M_TRIM_THRESHOLD={trimThreshold}";
        }
        else
        {
            _status = "mallopt rejected the values";
        }

        return ok;
    }

    private static string? DisabledByEnvironment()
    {
        string? flag = Environment.GetEnvironmentVariable(DisableVariable);
        if (flag is not null && (flag == "0" || flag.Equals("off", StringComparison.OrdinalIgnoreCase) || flag.Equals("false", StringComparison.OrdinalIgnoreCase)))
        {
            return $"off ({DisableVariable}={flag})";
        }

        foreach (string name in (ReadOnlySpan<string>)["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"])
        {
            if (Environment.GetEnvironmentVariable(name) is not null)
            {
                return $"off (the environment sets {name})";
            }
        }

        string? tunables = Environment.GetEnvironmentVariable("GLIBC_TUNABLES");
        if (tunables is not null && tunables.Contains("glibc.malloc.", StringComparison.Ordinal))
        {
            return "off (GLIBC_TUNABLES configures malloc)";
        }

        return null;
    }

    private static bool DetectGlibc()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return Libc.GnuGetLibcVersion() != IntPtr.Zero;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
