using System.Text;
using Savant.Native.Transport;

namespace Savant.Native.Fuzz;

/// <summary>
/// Savant URL, topic-prefix spec and map-config parsing. First byte mod 3 picks the parser for the rest (UTF-8 text):
/// 0 a URL (<see cref="SavantUrl.TryParse"/> / <see cref="SavantUrl.Parse"/> agree, builders accept what the parser
/// does), 1 a topic prefix spec (Parse / TryParse agree; <c>ToString</c> parses back to an equal spec), 2 a map config of
/// <c>key=value</c> lines for <see cref="ReaderConfigBuilder.WithMapConfig"/> and
/// <see cref="WriterConfigBuilder.WithMapConfig"/> (documented exceptions only; a failing call leaves the builder
/// unchanged).
/// </summary>
public sealed class ConfigTarget : FuzzTarget
{
    private const string BaseUrl = "tcp://127.0.0.1:6000";

    /// <inheritdoc/>
    public override string Name => "config";

    /// <inheritdoc/>
    public override string Description => "Savant URL, topic prefix spec and map config parsing";

    /// <inheritdoc/>
    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        string text = Encoding.UTF8.GetString(input[1..]);
        switch (input[0] % 3)
        {
            case 0:
                RunUrl(text);
                break;
            case 1:
                RunPrefixSpec(text);
                break;
            default:
                RunMap(text);
                break;
        }
    }

    private static void RunUrl(string text)
    {
        bool accepted = SavantUrl.TryParse(text, out var url);
        SavantUrl? parsed = null;
        try
        {
            parsed = SavantUrl.Parse(text);
        }
        catch (FormatException)
        {
        }

        if (accepted != parsed is not null || (accepted && parsed != url))
        {
            throw new FuzzFindingException("SavantUrl.TryParse and Parse disagree");
        }

        bool readerUrl = TryBuild(() => new ReaderConfigBuilder(text).Build(), out var readerConfig);
        bool writerUrl = TryBuild(() => new WriterConfigBuilder(text).Build(), out var writerConfig);
        if (!accepted && (readerUrl || writerUrl))
        {
            throw new FuzzFindingException("a config builder accepts a URL the parser rejects");
        }

        if (readerConfig is ReaderConfig r && r.Endpoint != url!.Endpoint)
        {
            throw new FuzzFindingException("the reader config's endpoint differs from the parsed URL's");
        }

        if (writerConfig is WriterConfig w && w.Endpoint != url!.Endpoint)
        {
            throw new FuzzFindingException("the writer config's endpoint differs from the parsed URL's");
        }
    }

    private static void RunPrefixSpec(string text)
    {
        bool accepted = TopicPrefixSpec.TryParse(text, out var spec);
        TopicPrefixSpec? parsed = null;
        try
        {
            parsed = TopicPrefixSpec.Parse(text);
        }
        catch (FormatException)
        {
        }

        if (accepted != parsed is not null || (accepted && !parsed!.Equals(spec)))
        {
            throw new FuzzFindingException("TopicPrefixSpec.TryParse and Parse disagree");
        }

        if (spec is not null)
        {
            if (!TopicPrefixSpec.TryParse(spec.ToString(), out var again) || !again.Equals(spec))
            {
                throw new FuzzFindingException($"topic prefix spec '{text}' prints as '{spec}', which does not parse back to it");
            }

            _ = spec.Matches(text);
            _ = spec.Subscription.Length;
        }
    }

    private static void RunMap(string text)
    {
        var map = new Dictionary<string, string>();
        foreach (var line in text.Split('\n'))
        {
            int eq = line.IndexOf('=');
            if (eq >= 0)
            {
                map[line[..eq]] = line[(eq + 1)..];
            }
        }

        // From an empty builder (the map must supply the url) and from one with an endpoint.
        TryBuild(() => ReaderConfigBuilder.Empty().WithMapConfig(map).Build(), out _);
        TryBuild(() => WriterConfigBuilder.Empty().WithMapConfig(map).Build(), out _);

        var reader = new ReaderConfigBuilder(BaseUrl);
        var readerBefore = reader.Build();
        if (!TryBuild(() => reader.WithMapConfig(map), out _) && reader.Build() != readerBefore)
        {
            throw new FuzzFindingException("a failing reader WithMapConfig changed the builder");
        }

        var writer = new WriterConfigBuilder(BaseUrl);
        var writerBefore = writer.Build();
        if (!TryBuild(() => writer.WithMapConfig(map), out _) && writer.Build() != writerBefore)
        {
            throw new FuzzFindingException("a failing writer WithMapConfig changed the builder");
        }

        TryBuild(reader.Build, out _);
        TryBuild(writer.Build, out _);
    }

    /// <summary>Runs a builder call, catching the exceptions the builders document.</summary>
    private static bool TryBuild(Func<object> build, out object? result)
    {
        try
        {
            result = build();
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            result = null;
            return false;
        }
    }
}
