using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Savant.Native.Interop;

/// <summary>
/// Finds the native libzmq for this assembly's imports: the path in <see cref="EnvironmentVariable"/> first,
/// then the platform's usual names (versioned first), and fails with a message that says how to install it.
/// </summary>
internal static class LibzmqResolver
{
    /// <summary>Environment variable holding a full path (or file name) of the libzmq library to load.</summary>
    internal const string EnvironmentVariable = "SAVANT_NATIVE_LIBZMQ";

    private static nint s_handle;
    private static string? s_loadedFrom;

    /// <summary>Where libzmq was loaded from, once it was.</summary>
    internal static string? LoadedFrom => s_loadedFrom;

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "The resolver must be registered before the first libzmq call.")]
    internal static void Register() => NativeLibrary.SetDllImportResolver(typeof(LibzmqResolver).Assembly, Resolve);

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Libzmq.Name)
        {
            return 0;
        }

        if (s_handle != 0)
        {
            return s_handle;
        }

        var tried = new List<string>();
        foreach (string candidate in Candidates(Environment.GetEnvironmentVariable(EnvironmentVariable), CurrentPlatform()))
        {
            tried.Add(candidate);
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out nint h) || NativeLibrary.TryLoad(candidate, out h))
            {
                s_loadedFrom = candidate;
                s_handle = h;
                return h;
            }
        }

        throw new DllNotFoundException(BuildNotFoundMessage(tried, CurrentPlatform(), Environment.GetEnvironmentVariable(EnvironmentVariable)));
    }

    internal static OSPlatform CurrentPlatform() =>
        OperatingSystem.IsWindows() ? OSPlatform.Windows : OperatingSystem.IsMacOS() ? OSPlatform.OSX : OSPlatform.Linux;

    /// <summary>The names tried, in order, for a platform and an optional override.</summary>
    internal static IEnumerable<string> Candidates(string? overridePath, OSPlatform platform)
    {
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            yield return overridePath;
            yield break;
        }

        if (platform == OSPlatform.Windows)
        {
            yield return "libzmq.dll";
            yield return "libzmq-v143-mt-4_3_5.dll";
            yield return "libzmq-v142-mt-4_3_4.dll";
            yield return "libzmq-mt-4_3_4.dll";
        }
        else if (platform == OSPlatform.OSX)
        {
            yield return "libzmq.5.dylib";
            yield return "libzmq.dylib";
            yield return "/opt/homebrew/lib/libzmq.5.dylib";
            yield return "/usr/local/lib/libzmq.5.dylib";
        }
        else
        {
            yield return "libzmq.so.5";
            yield return "libzmq.so";
        }
    }

    /// <summary>The error text shown when libzmq cannot be loaded: what was tried and how to install it.</summary>
    internal static string BuildNotFoundMessage(IReadOnlyList<string> tried, OSPlatform platform, string? overridePath)
    {
        string install = platform == OSPlatform.Windows
            ? "install libzmq (e.g. `vcpkg install zeromq`) and put libzmq.dll next to the application or on PATH"
            : platform == OSPlatform.OSX
                ? "run `brew install zeromq`"
                : "run `native/install-libzmq.sh`, or install the package yourself: Debian/Ubuntu `sudo apt-get install libzmq5`, Fedora/RHEL `sudo dnf install zeromq`, Alpine `apk add zeromq`, Arch `pacman -S zeromq`";
        string overrideNote = string.IsNullOrWhiteSpace(overridePath)
            ? $"or set {EnvironmentVariable} to the library's full path"
            : $"{EnvironmentVariable} is set to '{overridePath}', which could not be loaded; fix or unset it";
        return $"The native ZeroMQ library (libzmq 4.x) was not found (tried: {string.Join(", ", tried)}). To fix: {install}; {overrideNote}.";
    }
}
