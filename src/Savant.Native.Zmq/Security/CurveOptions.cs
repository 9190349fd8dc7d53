using System.Net;
using Savant.Native.Sockets;

namespace Savant.Native.Security;

/// <summary>Which CURVE role a Savant socket plays.</summary>
public enum CurveRole
{
    /// <summary>CURVE server: holds a secret key, authenticates clients through a <see cref="ZapAuthenticator"/>.</summary>
    Server,

    /// <summary>CURVE client: knows the server's public key and has its own key pair.</summary>
    Client,
}

/// <summary>
/// CURVE encryption and authentication of a socket (an extension: savant-rs and SLEAP have no security).
/// Built by <c>WithCurveServer</c> / <c>WithCurveClient</c> of <c>ReaderConfigBuilder</c> (Savant transport) and
/// <c>WriterConfigBuilder</c>; applied to the socket before bind/connect.
/// </summary>
/// <remarks>
/// <para><b>Role follows bind.</b> The side that <b>binds</b> is the CURVE server, the side that connects is the
/// client, whatever the socket type: a <c>sub+bind</c> reader is the server of its publishers, a <c>sub+connect</c>
/// reader is a client of a <c>pub+bind</c> writer. Building a config whose role contradicts its bind flag throws.</para>
/// <para><b>Server.</b> The reader/writer starts a <see cref="ZapAuthenticator"/> on its context that allows only
/// <see cref="AllowedClientKeys"/> (unless <see cref="AllowAnyClientKey"/>) and, if listed, only peers from
/// <see cref="AllowedNetworks"/>. A denied peer completes no handshake: nothing it sends is delivered and nothing is
/// delivered to it.</para>
/// <para>Keys are stored as 40-character Z85 text; the 32-byte forms are accepted by the builders.</para>
/// </remarks>
public sealed record CurveOptions
{
    private CurveOptions()
    {
    }

    /// <summary>Server or client.</summary>
    public CurveRole Role { get; private init; }

    /// <summary>The server's public key (Z85): for a server derived from its secret key, for a client the key it
    /// expects the server to prove.</summary>
    public string ServerPublicKey { get; private init; } = string.Empty;

    /// <summary>The server's secret key (Z85); null for a client.</summary>
    public string? ServerSecretKey { get; private init; }

    /// <summary>The client's public key (Z85, derived from <see cref="ClientSecretKey"/>); null for a server.</summary>
    public string? ClientPublicKey { get; private init; }

    /// <summary>The client's secret key (Z85); null for a server.</summary>
    public string? ClientSecretKey { get; private init; }

    /// <summary>Client public keys a server accepts (Z85).</summary>
    public IReadOnlyList<string> AllowedClientKeys { get; private init; } = [];

    /// <summary>When true a server accepts any client that completes the CURVE handshake (encryption without
    /// allow-listing). Default false.</summary>
    public bool AllowAnyClientKey { get; private init; }

    /// <summary>Networks a server accepts peers from (empty: any address).</summary>
    public IReadOnlyList<IPNetwork> AllowedNetworks { get; private init; } = [];

    /// <summary>Throws <see cref="NotSupportedException"/> when the installed libzmq has no CURVE.</summary>
    public static void EnsureSupported()
    {
        if (!ZmqLibrary.Has("curve"))
        {
            throw new NotSupportedException("CURVE security was requested but the installed libzmq was built without it (zmq_has(\"curve\") is false); install a libzmq built with libsodium.");
        }
    }

    /// <summary>Creates server options.</summary>
    /// <param name="serverSecretKey">The server's secret key, Z85 (40 characters).</param>
    /// <param name="allowedClientKeys">Client public keys (Z85) to accept; must not be empty unless
    /// <paramref name="allowAnyClientKey"/>.</param>
    /// <param name="allowedNetworks">Optional CIDR networks (e.g. <c>10.0.0.0/8</c>); peers from elsewhere are denied.</param>
    /// <param name="allowAnyClientKey">Accept every client key (encryption only).</param>
    /// <exception cref="NotSupportedException">libzmq has no CURVE.</exception>
    /// <exception cref="ArgumentException">A key or network is malformed, or no client is allowed.</exception>
    public static CurveOptions Server(string serverSecretKey, IEnumerable<string>? allowedClientKeys, IEnumerable<string>? allowedNetworks = null, bool allowAnyClientKey = false)
    {
        EnsureSupported();
        string secret = CheckKey(serverSecretKey, nameof(serverSecretKey));
        var keys = (allowedClientKeys ?? []).Select(k => CheckKey(k, nameof(allowedClientKeys))).Distinct(StringComparer.Ordinal).ToArray();
        if (keys.Length == 0 && !allowAnyClientKey)
        {
            throw new ArgumentException("A CURVE server needs at least one allowed client public key (or allowAnyClientKey: true for encryption without allow-listing).", nameof(allowedClientKeys));
        }

        var networks = new List<IPNetwork>();
        foreach (string cidr in allowedNetworks ?? [])
        {
            if (!IPNetwork.TryParse(cidr, out var network))
            {
                throw new ArgumentException($"'{cidr}' is not a network in CIDR form (e.g. 10.0.0.0/8 or 127.0.0.1/32).", nameof(allowedNetworks));
            }

            networks.Add(network);
        }

        return new CurveOptions
        {
            Role = CurveRole.Server,
            ServerSecretKey = secret,
            ServerPublicKey = ZmqLibrary.CurvePublicKey(secret),
            AllowedClientKeys = keys,
            AllowAnyClientKey = allowAnyClientKey,
            AllowedNetworks = networks,
        };
    }

    /// <summary>Creates server options from 32-byte keys.</summary>
    public static CurveOptions Server(ReadOnlySpan<byte> serverSecretKey, IEnumerable<byte[]>? allowedClientKeys, IEnumerable<string>? allowedNetworks = null, bool allowAnyClientKey = false) =>
        Server(Encode(serverSecretKey, nameof(serverSecretKey)), allowedClientKeys?.Select(k => Encode(k, nameof(allowedClientKeys))), allowedNetworks, allowAnyClientKey);

    /// <summary>Creates client options.</summary>
    /// <param name="serverPublicKey">The server's public key, Z85.</param>
    /// <param name="clientSecretKey">The client's secret key, Z85 (its public key is derived).</param>
    /// <exception cref="NotSupportedException">libzmq has no CURVE.</exception>
    /// <exception cref="ArgumentException">A key is malformed.</exception>
    public static CurveOptions Client(string serverPublicKey, string clientSecretKey)
    {
        EnsureSupported();
        string server = CheckKey(serverPublicKey, nameof(serverPublicKey));
        string secret = CheckKey(clientSecretKey, nameof(clientSecretKey));
        return new CurveOptions
        {
            Role = CurveRole.Client,
            ServerPublicKey = server,
            ClientSecretKey = secret,
            ClientPublicKey = ZmqLibrary.CurvePublicKey(secret),
        };
    }

    /// <summary>Creates client options from 32-byte keys.</summary>
    public static CurveOptions Client(ReadOnlySpan<byte> serverPublicKey, ReadOnlySpan<byte> clientSecretKey) =>
        Client(Encode(serverPublicKey, nameof(serverPublicKey)), Encode(clientSecretKey, nameof(clientSecretKey)));

    private static string Encode(ReadOnlySpan<byte> key, string name)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("A binary CURVE key is 32 bytes.", name);
        }

        return ZmqLibrary.Z85Encode(key);
    }

    private static string CheckKey(string? key, string name)
    {
        if (key is null || key.Length != 40)
        {
            throw new ArgumentException("A Z85 CURVE key is 40 characters (use the 32-byte overload for binary keys).", name);
        }

        try
        {
            _ = ZmqLibrary.Z85Decode(key);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new ArgumentException("The CURVE key is not valid Z85 text.", name, e);
        }

        return key;
    }

    /// <summary>Sets the socket options (before bind/connect).</summary>
    internal void Apply(ZmqSocket socket)
    {
        if (Role == CurveRole.Server)
        {
            socket.CurveServer = true;
            socket.CurveSecretKey = ServerSecretKey!;
            socket.ZapDomain = "savant";
        }
        else
        {
            socket.CurveServerKey = ServerPublicKey;
            socket.CurvePublicKey = ClientPublicKey!;
            socket.CurveSecretKey = ClientSecretKey!;
        }
    }

    /// <summary>Starts the ZAP handler of a server on <paramref name="context"/>; null for a client.</summary>
    internal ZapAuthenticator? StartAuthenticator(ZmqContext context, Microsoft.Extensions.Logging.ILogger logger)
    {
        if (Role != CurveRole.Server)
        {
            return null;
        }

        ZapAuthenticator zap;
        try
        {
            zap = new ZapAuthenticator(context, logger);
        }
        catch (AddressInUseException e)
        {
            throw new InvalidOperationException("The shared context already has a ZAP handler (one per context): give each CURVE server its own context (pass no context) or authenticate with that handler.", e);
        }

        zap.RequireListedCurveKey = !AllowAnyClientKey;
        foreach (string key in AllowedClientKeys)
        {
            zap.AllowCurveKey(key);
        }

        foreach (var network in AllowedNetworks)
        {
            zap.AllowNetwork(network);
        }

        return zap;
    }

    internal void CheckRole(bool bind)
    {
        if ((Role == CurveRole.Server) != bind)
        {
            throw new InvalidOperationException(Role == CurveRole.Server
                ? "A CURVE server must be the side that binds (the connecting side is the client)."
                : "A CURVE client must be the side that connects (the binding side is the server).");
        }
    }
}
