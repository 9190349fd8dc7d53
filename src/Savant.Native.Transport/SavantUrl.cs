using System.Text.RegularExpressions;
using Savant.Native.Sockets;

namespace Savant.Native.Transport;

/// <summary>
/// A parsed Savant socket URL: <c>[(pub|sub|req|rep|dealer|router)+(bind|connect):](ipc|tcp)://...[:source]</c>
/// (spec §2).
/// </summary>
/// <remarks>
/// The grammar is anchored at both ends (decision D-1): every canonical URL gives the same result as savant-rs, and
/// the malformed inputs savant-rs's unanchored expression silently accepts (leading garbage, upper-case options,
/// <c>xsub+</c>, trailing characters after the port, <c>ipc:/x</c>) are rejected with a clear error.
/// As an extension, <c>inproc://name</c> endpoints are accepted too, for a writer and a reader in one process that
/// share a <see cref="ZmqContext"/> (pass it to <see cref="SavantWriter"/> and <see cref="SavantReader"/>).
/// </remarks>
public sealed partial record SavantUrl
{
    private SavantUrl(string endpoint, ZmqSocketType? socketType, bool? bind, string? source)
    {
        Endpoint = endpoint;
        SocketType = socketType;
        Bind = bind;
        Source = source;
    }

    /// <summary>The endpoint handed to libzmq: <c>ipc://path</c> or <c>tcp://host:port</c>; or <c>inproc://name</c>, an
    /// extension of this library (savant-rs rejects it) for a writer and reader that share one <see cref="Sockets.ZmqContext"/>.</summary>
    public string Endpoint { get; }

    /// <summary>The socket type named by the options prefix, if any.</summary>
    public ZmqSocketType? SocketType { get; }

    /// <summary>True for <c>+bind</c>, false for <c>+connect</c>, null without a prefix.</summary>
    public bool? Bind { get; }

    /// <summary>The <c>:source</c> suffix of a writer URL. savant-rs parses and then discards it; here it is only
    /// informational and never affects the wire (D-2).</summary>
    public string? Source { get; }

    [GeneratedRegex(@"^(?:(?<opts>[^:+]+\+[^:]+):)?(?<ep>ipc://[^:]+|tcp://[^:]+:[0-9]+|inproc://[^:]+)(?::(?<src>.*))?$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex Grammar();

    /// <summary>Parses <paramref name="url"/>.</summary>
    /// <exception cref="FormatException">The URL does not follow the grammar; the message says which rule failed.</exception>
    public static SavantUrl Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var match = Grammar().Match(url);
        if (!match.Success)
        {
            throw new FormatException($"Invalid ZeroMQ socket URI '{url}': expected [(pub|sub|req|rep|dealer|router)+(bind|connect):](ipc|tcp)://... " +
                "with a tcp host:port (no IPv6 literals) or an ipc path without ':'.");
        }

        ZmqSocketType? type = null;
        bool? bind = null;
        if (match.Groups["opts"].Success)
        {
            string opts = match.Groups["opts"].Value;
            int plus = opts.IndexOf('+');
            string typeWord = opts[..plus];
            string modeWord = opts[(plus + 1)..];
            type = typeWord switch
            {
                "pub" => ZmqSocketType.Pub,
                "sub" => ZmqSocketType.Sub,
                "req" => ZmqSocketType.Req,
                "rep" => ZmqSocketType.Rep,
                "dealer" => ZmqSocketType.Dealer,
                "router" => ZmqSocketType.Router,
                _ => null,
            };
            bind = modeWord switch
            {
                "bind" => true,
                "connect" => false,
                _ => null,
            };
            if (type is null || bind is null)
            {
                throw new FormatException($"Invalid socket options '{opts}' in '{url}': use (pub|sub|req|rep|dealer|router)+(bind|connect), lower-case.");
            }
        }

        string? source = null;
        if (match.Groups["src"].Success && match.Groups["src"].Length > 0)
        {
            if (type is not (ZmqSocketType.Pub or ZmqSocketType.Dealer or ZmqSocketType.Req))
            {
                throw new FormatException($"Source specification is not allowed for reader sockets (nor without a writer prefix such as pub+bind:): '{url}'.");
            }

            source = match.Groups["src"].Value;
        }

        return new SavantUrl(match.Groups["ep"].Value, type, bind, source);
    }

    /// <summary>Parses <paramref name="url"/>; false when it does not follow the grammar.</summary>
    public static bool TryParse(string url, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SavantUrl? result)
    {
        try
        {
            result = Parse(url);
            return true;
        }
        catch (FormatException)
        {
            result = null;
            return false;
        }
        catch (ArgumentNullException)
        {
            result = null;
            return false;
        }
    }

    /// <summary>Whether <paramref name="type"/> is a writer socket type (pub, dealer, req).</summary>
    public static bool IsWriterType(ZmqSocketType type) => type is ZmqSocketType.Pub or ZmqSocketType.Dealer or ZmqSocketType.Req;

    /// <summary>Whether <paramref name="type"/> is a reader socket type (sub, router, rep).</summary>
    public static bool IsReaderType(ZmqSocketType type) => type is ZmqSocketType.Sub or ZmqSocketType.Router or ZmqSocketType.Rep;
}
