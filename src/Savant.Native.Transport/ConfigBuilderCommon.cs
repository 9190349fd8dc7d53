using Savant.Native.Security;
using Savant.Native.Sockets;

namespace Savant.Native.Transport;

/// <summary>The role a config builder builds for: which socket types it accepts and how its messages name it.</summary>
internal enum ConfigBuilderRole
{
    Reader,
    Writer,
}

/// <summary>
/// The options and rules that <see cref="ReaderConfigBuilder"/> and <see cref="WriterConfigBuilder"/> share: the
/// endpoint (and the informational source) from the URL, the socket type and bind mode, the IPC file mode, CURVE,
/// and the all-or-nothing map form. A struct held in each builder's state, so a failed call restores it by copy.
/// </summary>
internal struct ConfigBuilderCommon
{
    public string? Endpoint;
    public string? Source;
    public SetOnce<ZmqSocketType> SocketType;
    public SetOnce<bool> Bind;
    public SetOnce<uint?> FixIpc;
    public SetOnce<CurveOptions?> Curve;

    public ConfigBuilderCommon(ZmqSocketType defaultSocketType)
    {
        SocketType = new("socket_type", defaultSocketType);
        Bind = new("bind", true);
        FixIpc = new("fix_ipc_permissions", 0x1FF);
        Curve = new("curve", null);
    }

    /// <summary>Sets the endpoint (and the socket type and bind mode when the URL has an options prefix).</summary>
    public void ApplyUrl(string url, ConfigBuilderRole role)
    {
        if (Endpoint is not null)
        {
            throw new InvalidOperationException("The option 'url' is already set.");
        }

        var parsed = SavantUrl.Parse(url);
        if (parsed.SocketType is { } type)
        {
            if (!Accepts(role, type))
            {
                throw new ArgumentException(role == ConfigBuilderRole.Reader
                    ? $"Invalid socket type for reader: {type} (use sub, router or rep)."
                    : $"Invalid socket type for writer: {type} (use pub, dealer or req).", nameof(url));
            }

            SocketType.Set(type);
            Bind.Set(parsed.Bind!.Value);
        }

        Endpoint = parsed.Endpoint;
        Source = parsed.Source;
    }

    /// <summary>Throws unless <paramref name="type"/> is a socket type of <paramref name="role"/>.</summary>
    public static void CheckSocketType(ZmqSocketType type, ConfigBuilderRole role)
    {
        if (!Accepts(role, type))
        {
            throw new ArgumentException(role == ConfigBuilderRole.Reader
                ? $"Invalid socket type for reader: {type} (use Sub, Router or Rep)."
                : $"Invalid socket type for writer: {type} (use Pub, Dealer or Req).", nameof(type));
        }
    }

    /// <summary>Throws unless <paramref name="mode"/> is a file mode (or null).</summary>
    public static void CheckFileMode(uint? mode)
    {
        if (mode > 0xFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "A file mode is at most 0o7777.");
        }
    }

    /// <summary>Sets the IPC file mode; only allowed when binding (reading the bind flag fixes it).</summary>
    public void SetFixIpcPermissions(uint? mode)
    {
        FixIpc.EnsureUnset();
        if (!Bind.Get())
        {
            throw new InvalidOperationException("fix_ipc_permissions is only allowed for a socket that binds.");
        }

        FixIpc.Set(mode);
    }

    /// <summary>The endpoint, or an error that says how to give one.</summary>
    public readonly string RequireEndpoint(ConfigBuilderRole role) =>
        string.IsNullOrEmpty(Endpoint)
            ? throw new InvalidOperationException($"The {Name(role)} config has no endpoint; create the builder from a URL or pass 'url' in the map config.")
            : Endpoint;

    /// <summary>
    /// Applies the map form all or nothing: <c>url</c> first (required when the builder has no endpoint yet), then
    /// every other key through <paramref name="applyKey"/> (false: unknown key), then the CURVE keys of
    /// <see cref="CurveMapKeys"/> through <paramref name="withCurve"/>. On any error <paramref name="state"/> is
    /// restored and the error rethrown.
    /// </summary>
    public static void ApplyMap<TState>(
        ref TState state,
        IReadOnlyDictionary<string, string> map,
        ConfigBuilderRole role,
        CommonAccessor<TState> common,
        Func<string, string, bool> applyKey,
        Action<CurveOptions> withCurve)
        where TState : struct
    {
        ArgumentNullException.ThrowIfNull(map);
        var saved = state;
        try
        {
            if (map.TryGetValue("url", out var url))
            {
                var s = state;
                common(ref s).ApplyUrl(url, role);
                state = s;
            }
            else if (common(ref state).Endpoint is null)
            {
                throw new ArgumentException("The map config needs a 'url' key: the builder has no endpoint yet.", nameof(map));
            }

            foreach (var (key, value) in map)
            {
                if (key == "url" || CurveMapKeys.IsKey(key))
                {
                    continue;
                }

                if (!applyKey(key, value))
                {
                    throw new ArgumentException($"Unknown {Name(role)} map config key '{key}'.", nameof(map));
                }
            }

            if (CurveMapKeys.FromMap(map) is { } curve)
            {
                withCurve(curve);
            }
        }
        catch
        {
            state = saved;
            throw;
        }
    }

    /// <summary>The common part of a builder's state.</summary>
    public delegate ref ConfigBuilderCommon CommonAccessor<TState>(ref TState state);

    private static bool Accepts(ConfigBuilderRole role, ZmqSocketType type) =>
        role == ConfigBuilderRole.Reader ? SavantUrl.IsReaderType(type) : SavantUrl.IsWriterType(type);

    private static string Name(ConfigBuilderRole role) => role == ConfigBuilderRole.Reader ? "reader" : "writer";
}
