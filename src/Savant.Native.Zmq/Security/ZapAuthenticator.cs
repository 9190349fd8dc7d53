using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Savant.Native.Frames;
using Savant.Native.Sockets;

namespace Savant.Native.Security;

/// <summary>
/// A ZAP (ZeroMQ Authentication Protocol, RFC 27) handler for one <see cref="ZmqContext"/>: it answers libzmq's
/// authentication requests on <c>inproc://zeromq.zap.01</c> from its own thread, allowing only listed CURVE client
/// public keys and, optionally, only peers from listed IP networks. Every denial is logged and counted.
/// </summary>
/// <remarks>
/// <para>Start it before the server sockets bind; dispose it after they are closed. One handler per context
/// (libzmq allows one ZAP endpoint per context). CURVE servers consult it for every connection; sockets without a
/// security mechanism consult it only when their <see cref="ZmqSocket.ZapDomain"/> is set.</para>
/// <para>The lists may be changed while it runs; the next handshake sees the change. Thread-safe.</para>
/// </remarks>
public sealed class ZapAuthenticator : IDisposable
{
    /// <summary>The endpoint libzmq sends authentication requests to.</summary>
    public const string Endpoint = "inproc://zeromq.zap.01";

    private readonly ZmqSocket _socket;
    private readonly Thread _thread;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, byte> _curveKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<IPNetwork, byte> _networks = new();
    private volatile bool _stopping;
    private long _allowed;
    private long _denied;

    /// <summary>Binds the ZAP endpoint in <paramref name="context"/> and starts answering.</summary>
    /// <exception cref="NotSupportedException">libzmq was built without CURVE.</exception>
    /// <exception cref="AddressInUseException">The context already has a ZAP handler.</exception>
    public ZapAuthenticator(ZmqContext context, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!ZmqLibrary.Has("curve"))
        {
            throw new NotSupportedException("The installed libzmq was built without CURVE security (zmq_has(\"curve\") is false).");
        }

        _logger = logger ?? NullLogger.Instance;
        _socket = context.CreateSocket(ZmqSocketType.Rep);
        _socket.Linger = TimeSpan.Zero;
        _socket.ReceiveTimeout = TimeSpan.FromMilliseconds(100);
        try
        {
            _socket.Bind(Endpoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "savant-native ZAP" };
        _thread.Start();
    }

    /// <summary>When true (the default), CURVE clients must present a key from <see cref="AllowCurveKey(string)"/>.
    /// When false, any CURVE client that completes the handshake is allowed (encryption without allow-listing).</summary>
    public bool RequireListedCurveKey { get; set; } = true;

    /// <summary>Connections allowed so far.</summary>
    public long Allowed => Interlocked.Read(ref _allowed);

    /// <summary>Connections denied so far.</summary>
    public long Denied => Interlocked.Read(ref _denied);

    /// <summary>Allows the CURVE client with this public key (40-character Z85).</summary>
    public void AllowCurveKey(string z85PublicKey)
    {
        ArgumentNullException.ThrowIfNull(z85PublicKey);
        if (z85PublicKey.Length != 40)
        {
            throw new ArgumentException("A Z85 CURVE public key is 40 characters.", nameof(z85PublicKey));
        }

        _ = ZmqLibrary.Z85Decode(z85PublicKey); // validates the text
        _curveKeys[z85PublicKey] = 0;
    }

    /// <summary>Allows the CURVE client with this 32-byte public key.</summary>
    public void AllowCurveKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != 32)
        {
            throw new ArgumentException("A binary CURVE public key is 32 bytes.", nameof(publicKey));
        }

        _curveKeys[ZmqLibrary.Z85Encode(publicKey)] = 0;
    }

    /// <summary>Removes a key added with <see cref="AllowCurveKey(string)"/>.</summary>
    public bool RevokeCurveKey(string z85PublicKey) => _curveKeys.TryRemove(z85PublicKey, out _);

    /// <summary>Restricts peers to these networks (in addition to the key check). With no network listed, any address is allowed.</summary>
    public void AllowNetwork(IPNetwork network) => _networks[network] = 0;

    /// <summary>Parses and adds a network in CIDR form, e.g. <c>10.0.0.0/8</c> or <c>127.0.0.1/32</c>.</summary>
    public void AllowNetwork(string cidr) => AllowNetwork(IPNetwork.Parse(cidr ?? throw new ArgumentNullException(nameof(cidr))));

    /// <summary>Stops answering and unbinds the endpoint. Idempotent.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _thread.Join();
        _socket.Dispose();
    }

    private void Run()
    {
        using var request = new ZmqMessage();
        while (!_stopping)
        {
            bool received;
            try
            {
                received = _socket.TryReceive(request);
            }
            catch (ContextTerminatedException)
            {
                return;
            }

            if (!received)
            {
                continue;
            }

            try
            {
                Answer(request);
            }
            catch (ContextTerminatedException)
            {
                return;
            }
        }
    }

    private void Answer(ZmqMessage request)
    {
        // RFC 27: version, request id, domain, address, identity, mechanism, credentials...
        if (request.Count < 6)
        {
            _logger.LogWarning("ZAP: malformed request with {Count} frames ignored", request.Count);
            Reply(ReadOnlySpan<byte>.Empty, "400", "malformed request");
            return;
        }

        var requestId = request[1].Span;
        string address = Encoding.ASCII.GetString(request[3].Span);
        string mechanism = Encoding.ASCII.GetString(request[5].Span);
        string? clientKey = mechanism == "CURVE" && request.Count >= 7 && request[6].Length == 32 ? ZmqLibrary.Z85Encode(request[6].Span) : null;

        string? denial = Check(address, mechanism, clientKey);
        if (denial is null)
        {
            Interlocked.Increment(ref _allowed);
            Reply(requestId, "200", "OK", clientKey ?? string.Empty);
        }
        else
        {
            Interlocked.Increment(ref _denied);
            _logger.LogWarning("ZAP: denied {Mechanism} connection from {Address} (key {Key}): {Reason}", mechanism, address, clientKey ?? "none", denial);
            Reply(requestId, "400", denial);
        }
    }

    private string? Check(string address, string mechanism, string? clientKey)
    {
        if (!_networks.IsEmpty)
        {
            if (!IPAddress.TryParse(address, out var ip) || !_networks.Keys.Any(n => n.Contains(ip)))
            {
                return "address not allowed";
            }
        }

        if (mechanism != "CURVE")
        {
            return "only CURVE connections are allowed";
        }

        if (clientKey is null)
        {
            return "missing client key";
        }

        if (RequireListedCurveKey && !_curveKeys.ContainsKey(clientKey))
        {
            return "client key not allowed";
        }

        return null;
    }

    private void Reply(ReadOnlySpan<byte> requestId, string status, string text, string userId = "")
    {
        _socket.TrySend("1.0"u8, ZmqSendFlags.SendMore);
        _socket.TrySend(requestId, ZmqSendFlags.SendMore);
        _socket.TrySend(status, ZmqSendFlags.SendMore);
        _socket.TrySend(text, ZmqSendFlags.SendMore);
        _socket.TrySend(userId, ZmqSendFlags.SendMore);
        _socket.TrySend(ReadOnlySpan<byte>.Empty);
    }
}
