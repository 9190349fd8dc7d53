using Savant.Native.Security;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Reliability;

/// <summary>CURVE-encrypted Savant streams over tcp for every socket pair and both bind directions of pub/sub; unlisted
/// keys and plaintext peers deliver nothing.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class CurveTests : ZmqTestBase
{
    private static readonly (string PublicKey, string SecretKey) ServerKeys = ZmqLibrary.CurveKeyPair();
    private static readonly (string PublicKey, string SecretKey) ClientKeys = ZmqLibrary.CurveKeyPair();

    private static ReaderConfigBuilder ReaderBuilder(string url) => new ReaderConfigBuilder(url).WithReceiveTimeout(250);

    private static WriterConfigBuilder WriterBuilder(string url) => new WriterConfigBuilder(url)
        .WithSendTimeout(500).WithSendRetries(0).WithReceiveTimeout(1000).WithReceiveRetries(0);

    private static T Curve<T>(T builder, bool bind, string? clientSecret = null, string[]? allowed = null, string[]? networks = null)
    {
        var curve = bind
            ? CurveOptions.Server(ServerKeys.SecretKey, allowed ?? [ClientKeys.PublicKey], networks)
            : CurveOptions.Client(ServerKeys.PublicKey, clientSecret ?? ClientKeys.SecretKey);
        return builder switch
        {
            ReaderConfigBuilder r => (T)(object)r.WithCurve(curve),
            WriterConfigBuilder w => (T)(object)w.WithCurve(curve),
            _ => throw new ArgumentException("builder"),
        };
    }

    public static IEnumerable<TestCaseData> Pairs()
    {
        yield return new TestCaseData("router+bind", "dealer+connect").SetName("Curve_round_trip_router_bind_dealer_connect");
        yield return new TestCaseData("router+connect", "dealer+bind").SetName("Curve_round_trip_dealer_bind_router_connect");
        yield return new TestCaseData("rep+bind", "req+connect").SetName("Curve_round_trip_rep_bind_req_connect");
        yield return new TestCaseData("sub+bind", "pub+connect").SetName("Curve_round_trip_sub_bind_pub_connect");
        yield return new TestCaseData("sub+connect", "pub+bind").SetName("Curve_round_trip_pub_bind_sub_connect");
    }

    [TestCaseSource(nameof(Pairs))]
    public void Encrypted_round_trip(string readerPrefix, string writerPrefix)
    {
        string endpoint = $"tcp://127.0.0.1:{Rel.FreePort()}";
        bool readerBinds = readerPrefix.EndsWith("bind", StringComparison.Ordinal);
        using var reader = SavantReader.Open(Curve(ReaderBuilder($"{readerPrefix}:{endpoint}"), readerBinds).Build());
        using var writer = SavantWriter.Open(Curve(WriterBuilder($"{writerPrefix}:{endpoint}"), !readerBinds).Build());
        var server = readerBinds ? reader.Authenticator : writer.Authenticator;
        Assert.That(server, Is.Not.Null, "the binding side runs the ZAP handler");
        Assert.That((readerBinds ? writer.Authenticator : reader.Authenticator), Is.Null);

        var payload = new byte[4096];
        Random.Shared.NextBytes(payload);
        var received = new List<long>();
        bool intact = true;
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var readerTask = Task.Factory.StartNew(() =>
        {
            while (received.Count < 5 && !done.IsCancellationRequested)
            {
                using var r = reader.Receive();
                if (r is ReaderResultMessage m)
                {
                    intact &= m.Data[0].Span.SequenceEqual(payload);
                    lock (received)
                    {
                        received.Add(m.Message.VideoFrame.Pts);
                    }
                }
            }
        }, TaskCreationOptions.LongRunning);

        long pts = 0;
        while (!readerTask.IsCompleted && !done.IsCancellationRequested)
        {
            var (message, _) = Rel.ChecksummedFrame("cam-1");
            message.VideoFrame.Pts = pts++;
            var sent = writer.SendMessage("cam-1", message, payload);
            Assert.That(sent.Kind, Is.AnyOf(WriterResultKind.Success, WriterResultKind.Ack, WriterResultKind.SendTimeout));
            Thread.Sleep(20);
        }

        readerTask.Wait(TimeSpan.FromSeconds(5));
        Assert.That(intact, Is.True, "payload intact");
        Assert.That(received, Has.Count.EqualTo(5), "encrypted messages delivered");
        Assert.That(server!.Allowed, Is.GreaterThanOrEqualTo(1));
        Assert.That(server.Denied, Is.Zero);
    }

    [Test]
    public void Unlisted_client_key_delivers_nothing_and_is_counted_as_denied()
    {
        string endpoint = $"tcp://127.0.0.1:{Rel.FreePort()}";
        using var reader = SavantReader.Open(Curve(ReaderBuilder($"router+bind:{endpoint}"), bind: true).Build());
        var stranger = ZmqLibrary.CurveKeyPair();
        using var writer = SavantWriter.Open(Curve(WriterBuilder($"dealer+connect:{endpoint}"), bind: false, clientSecret: stranger.SecretKey).Build());
        AssertNothingDelivered(reader, writer);
        Rel.WaitUntil(() => reader.Authenticator!.Denied >= 1, TimeSpan.FromSeconds(5), "a ZAP denial");
        Assert.That(reader.Authenticator!.Allowed, Is.Zero);

        // Allowing the key while the reader runs lets the next handshake (the dealer reconnects) through.
        reader.Authenticator.AllowCurveKey(stranger.PublicKey);
        using var writer2 = SavantWriter.Open(Curve(WriterBuilder($"dealer+connect:{endpoint}"), bind: false, clientSecret: stranger.SecretKey).Build());
        Assert.That(writer2.SendMessage("cam-1", Message.CreateUnknown("hello")).Kind, Is.EqualTo(WriterResultKind.Success));
        ReaderResultKind kind = ReaderResultKind.Timeout;
        Rel.WaitUntil(() =>
        {
            using var r = reader.Receive();
            kind = r.Kind;
            return kind != ReaderResultKind.Timeout;
        }, TimeSpan.FromSeconds(5), "the newly allowed client's message");
        Assert.That(kind, Is.EqualTo(ReaderResultKind.Message));
    }

    [Test]
    public void Unlisted_subscriber_key_receives_nothing_from_a_curve_publisher()
    {
        string endpoint = $"tcp://127.0.0.1:{Rel.FreePort()}";
        using var writer = SavantWriter.Open(Curve(WriterBuilder($"pub+bind:{endpoint}"), bind: true).Build());
        var stranger = ZmqLibrary.CurveKeyPair();
        using var reader = SavantReader.Open(Curve(ReaderBuilder($"sub+connect:{endpoint}"), bind: false, clientSecret: stranger.SecretKey).Build());
        AssertNothingDelivered(reader, writer);
        Assert.That(writer.Authenticator!.Denied, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public void Address_outside_the_allowed_networks_is_denied()
    {
        string endpoint = $"tcp://127.0.0.1:{Rel.FreePort()}";
        using var reader = SavantReader.Open(Curve(ReaderBuilder($"router+bind:{endpoint}"), bind: true, networks: ["10.0.0.0/8"]).Build());
        using var writer = SavantWriter.Open(Curve(WriterBuilder($"dealer+connect:{endpoint}"), bind: false).Build());
        AssertNothingDelivered(reader, writer);
        Assert.That(reader.Authenticator!.Denied, Is.GreaterThanOrEqualTo(1));
    }

    /// <summary>ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: the peers' greetings name different security mechanisms.</summary>
    private const int MechanismMismatch = 0x11000002;

    /// <summary>
    /// What a handshake with the reader at <paramref name="endpoint"/> ends in, seen by a monitored raw DEALER that speaks
    /// like the Savant writer of the test (plaintext, or a CURVE client with the listed key): the first handshake event.
    /// </summary>
    private ZmqMonitorEvent Handshake(string endpoint, bool curveClient)
    {
        string monitor = $"inproc://curve-handshake-{Guid.NewGuid():N}";
        var dealer = Socket(ZmqSocketType.Dealer);
        if (curveClient)
        {
            dealer.CurveServerKey = ServerKeys.PublicKey;
            dealer.CurvePublicKey = ClientKeys.PublicKey;
            dealer.CurveSecretKey = ClientKeys.SecretKey;
        }

        dealer.Monitor(monitor, ZmqSocketEvents.HandshakeSucceeded | ZmqSocketEvents.HandshakeFailedNoDetail | ZmqSocketEvents.HandshakeFailedProtocol | ZmqSocketEvents.HandshakeFailedAuth);
        var events = Socket(ZmqSocketType.Pair);
        events.ReceiveTimeout = TimeSpan.FromSeconds(5);
        events.Connect(monitor);
        dealer.Connect(endpoint);
        using var m = new Frames.ZmqMessage();
        Assert.That(events.TryReceive(m), Is.True, "the handshake neither succeeded nor failed within 5 s");
        Assert.That(ZmqMonitorEvent.TryParse(m, out var e), Is.True);
        return e;
    }

    [Test]
    public void Plaintext_client_against_a_curve_server_fails_the_handshake_and_delivers_nothing()
    {
        string endpoint = $"tcp://127.0.0.1:{Rel.FreePort()}";
        using var reader = SavantReader.Open(Curve(ReaderBuilder($"router+bind:{endpoint}"), bind: true).Build());
        using var writer = SavantWriter.Open(WriterBuilder($"dealer+connect:{endpoint}").Build());
        AssertNothingDelivered(reader, writer);
        AssertHandshakeFails(Handshake(endpoint, curveClient: false));
        Assert.That(reader.Authenticator!.Allowed, Is.Zero, "nothing was authenticated");
    }

    [Test]
    public void Curve_client_against_a_plaintext_server_fails_the_handshake_and_delivers_nothing()
    {
        string endpoint = $"tcp://127.0.0.1:{Rel.FreePort()}";
        using var reader = SavantReader.Open(ReaderBuilder($"router+bind:{endpoint}").Build());
        using var writer = SavantWriter.Open(Curve(WriterBuilder($"dealer+connect:{endpoint}"), bind: false).Build());
        AssertNothingDelivered(reader, writer);
        AssertHandshakeFails(Handshake(endpoint, curveClient: true));
    }

    /// <summary>The peers' greetings name different mechanisms: the side that notices first reports the mismatch and
    /// closes, so the probe sees either the mismatch or a handshake failure without detail, never a success.</summary>
    private static void AssertHandshakeFails(ZmqMonitorEvent handshake)
    {
        Assert.That(handshake.Event, Is.AnyOf(ZmqSocketEvents.HandshakeFailedNoDetail, ZmqSocketEvents.HandshakeFailedProtocol), "the handshake fails");
        if (handshake.Event == ZmqSocketEvents.HandshakeFailedProtocol)
        {
            Assert.That(handshake.Value, Is.EqualTo(MechanismMismatch), "on a mechanism mismatch");
        }
    }

    [Test]
    public void The_handshake_probe_sees_success_with_matching_keys()
    {
        // The probe above can tell success from failure: against a CURVE reader that lists its key, it succeeds.
        string endpoint = $"tcp://127.0.0.1:{Rel.FreePort()}";
        using var reader = SavantReader.Open(Curve(ReaderBuilder($"router+bind:{endpoint}"), bind: true).Build());
        Assert.That(Handshake(endpoint, curveClient: true).Event, Is.EqualTo(ZmqSocketEvents.HandshakeSucceeded));
        Assert.That(reader.Authenticator!.Allowed, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public void Req_with_unlisted_key_gets_ack_timeout()
    {
        string endpoint = $"tcp://127.0.0.1:{Rel.FreePort()}";
        using var reader = SavantReader.Open(Curve(ReaderBuilder($"rep+bind:{endpoint}"), bind: true).Build());
        var stranger = ZmqLibrary.CurveKeyPair();
        using var writer = SavantWriter.Open(Curve(WriterBuilder($"req+connect:{endpoint}"), bind: false, clientSecret: stranger.SecretKey).Build());
        var result = writer.SendMessage("cam-1", Message.CreateUnknown("x"));
        Assert.That(result.Kind, Is.EqualTo(WriterResultKind.AckTimeout), "the request never reaches the reader");
        using var r = reader.Receive();
        Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.Timeout));
    }

    private static void AssertNothingDelivered(SavantReader reader, SavantWriter writer)
    {
        var deadline = DateTime.UtcNow.AddSeconds(1.5);
        int sends = 0;
        while (DateTime.UtcNow < deadline)
        {
            var result = writer.SendMessage("cam-1", Message.CreateUnknown("secret"));
            sends++;
            Assert.That(result.Kind, Is.AnyOf(WriterResultKind.Success, WriterResultKind.SendTimeout), "no peer ever acknowledges");
            using var r = reader.Receive();
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.Timeout), "a message crossed an unauthenticated connection");
        }

        Assert.That(sends, Is.GreaterThan(0));
    }

    [Test]
    public async Task Non_blocking_pair_runs_encrypted()
    {
        string endpoint = $"tcp://127.0.0.1:{Rel.FreePort()}";
        using var reader = new NonBlockingSavantReader(Curve(ReaderBuilder($"router+bind:{endpoint}"), bind: true).Build(), resultsQueueSize: 16);
        reader.Start();
        using var writer = new NonBlockingSavantWriter(Curve(WriterBuilder($"dealer+connect:{endpoint}"), bind: false).Build(), maxInflightMessages: 16);
        writer.Start();
        for (int i = 0; i < 3; i++)
        {
            Assert.That((await writer.SendMessageAsync("cam-1", Message.CreateUserData("cam-1"))).Kind, Is.EqualTo(WriterResultKind.Success));
        }

        Assert.That((await writer.SendEosAsync("cam-1")).Kind, Is.EqualTo(WriterResultKind.Ack), "the encrypted EOS is acknowledged");
        int messages = 0;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var r in reader.ReadAllAsync(skipTimeouts: true, cancel.Token))
        {
            using (r)
            {
                if (r is ReaderResultMessage { Message.IsEndOfStream: true })
                {
                    break;
                }

                messages++;
            }
        }

        Assert.That(messages, Is.EqualTo(3));
        Assert.That(reader.Authenticator!.Allowed, Is.GreaterThanOrEqualTo(1));
        Assert.That(writer.Authenticator, Is.Null);
    }

    [Test]
    public void Map_config_carries_curve_keys()
    {
        var reader = ReaderConfigBuilder.Empty().WithMapConfig(new Dictionary<string, string>
        {
            ["url"] = "router+bind:tcp://127.0.0.1:5555",
            [CurveMapKeys.ServerSecretKey] = ServerKeys.SecretKey,
            [CurveMapKeys.AllowedClientKeys] = $"{ClientKeys.PublicKey}, {ZmqLibrary.CurveKeyPair().PublicKey}",
            [CurveMapKeys.AllowedNetworks] = "127.0.0.0/8,10.0.0.0/8",
        }).Build();
        Assert.That(reader.Curve!.Role, Is.EqualTo(CurveRole.Server));
        Assert.That(reader.Curve.AllowedClientKeys, Has.Count.EqualTo(2));
        Assert.That(reader.Curve.AllowedNetworks, Has.Count.EqualTo(2));

        var writer = WriterConfigBuilder.Empty().WithMapConfig(new Dictionary<string, string>
        {
            ["url"] = "dealer+connect:tcp://127.0.0.1:5555",
            [CurveMapKeys.ServerPublicKey] = ServerKeys.PublicKey,
            [CurveMapKeys.ClientSecretKey] = ClientKeys.SecretKey,
        }).Build();
        Assert.That(writer.Curve!.ClientPublicKey, Is.EqualTo(ClientKeys.PublicKey));

        var builder = new WriterConfigBuilder("dealer+connect:tcp://127.0.0.1:5555");
        Assert.That(() => builder.WithMapConfig(new Dictionary<string, string>
        {
            [CurveMapKeys.ServerPublicKey] = ServerKeys.PublicKey,
            [CurveMapKeys.ServerSecretKey] = ServerKeys.SecretKey,
        }), Throws.ArgumentException.With.Message.Contains("mixes"));
        Assert.That(builder.Build().Curve, Is.Null, "a failed map config leaves the builder unchanged");
    }

    [Test]
    public void Config_checks_roles_and_keys()
    {
        Assert.That(() => new ReaderConfigBuilder("router+connect:tcp://127.0.0.1:5555").WithCurveServer(ServerKeys.SecretKey, [ClientKeys.PublicKey]).Build(),
            Throws.InvalidOperationException.With.Message.Contains("bind"));
        Assert.That(() => new WriterConfigBuilder("dealer+bind:tcp://127.0.0.1:5555").WithCurveClient(ServerKeys.PublicKey, ClientKeys.SecretKey).Build(),
            Throws.InvalidOperationException.With.Message.Contains("connect"));
        Assert.That(() => CurveOptions.Server("short", [ClientKeys.PublicKey]), Throws.ArgumentException);
        Assert.That(() => CurveOptions.Server(ServerKeys.SecretKey, []), Throws.ArgumentException.With.Message.Contains("allowed client"));
        Assert.That(() => CurveOptions.Server(ServerKeys.SecretKey, [ClientKeys.PublicKey], ["not-a-network"]), Throws.ArgumentException);
        Assert.That(() => CurveOptions.Client(new byte[31], new byte[32]), Throws.ArgumentException);

        var builder = new ReaderConfigBuilder("router+bind:tcp://127.0.0.1:5555").WithCurveServer(ServerKeys.SecretKey, [ClientKeys.PublicKey]);
        Assert.That(() => builder.WithCurveServer(ServerKeys.SecretKey, [ClientKeys.PublicKey]), Throws.InvalidOperationException, "set once");
        var config = builder.Build();
        Assert.That(config.Curve!.Role, Is.EqualTo(CurveRole.Server));
        Assert.That(config.Curve.ServerPublicKey, Is.EqualTo(ServerKeys.PublicKey), "public key derived from the secret");

        var binary = CurveOptions.Client(ZmqLibrary.Z85Decode(ServerKeys.PublicKey), ZmqLibrary.Z85Decode(ClientKeys.SecretKey));
        Assert.That(binary.ClientPublicKey, Is.EqualTo(ClientKeys.PublicKey), "32-byte keys are accepted");
        Assert.That(ZmqLibrary.Has("curve"), Is.True, "this machine's libzmq has CURVE");
    }
}
