using System.Text;

namespace Savant.Native.Transport;

/// <summary>The kind of a <see cref="TopicPrefixSpec"/>.</summary>
public enum TopicPrefixKind
{
    /// <summary>Every topic matches.</summary>
    None,
    /// <summary>Topics starting with the value match.</summary>
    Prefix,
    /// <summary>Only the topic equal to the value matches.</summary>
    SourceId,
}

/// <summary>
/// Which topics a reader accepts (spec §4): <c>none</c>, <c>prefix{p}</c> (topic starts with <c>p</c>) or
/// <c>source{s}</c> (topic equals <c>s</c>). Immutable and thread-safe.
/// </summary>
public sealed class TopicPrefixSpec : IEquatable<TopicPrefixSpec>
{
    private readonly byte[] _bytes;

    private TopicPrefixSpec(TopicPrefixKind kind, string value)
    {
        Kind = kind;
        Value = value;
        _bytes = Encoding.UTF8.GetBytes(value);
    }

    /// <summary>Accepts every topic.</summary>
    public static TopicPrefixSpec None { get; } = new(TopicPrefixKind.None, string.Empty);

    /// <summary>Accepts topics that start with <paramref name="prefix"/>.</summary>
    public static TopicPrefixSpec Prefix(string prefix) => new(TopicPrefixKind.Prefix, prefix ?? throw new ArgumentNullException(nameof(prefix)));

    /// <summary>Accepts only the topic equal to <paramref name="sourceId"/>.</summary>
    public static TopicPrefixSpec SourceId(string sourceId) => new(TopicPrefixKind.SourceId, sourceId ?? throw new ArgumentNullException(nameof(sourceId)));

    /// <summary>The kind.</summary>
    public TopicPrefixKind Kind { get; }

    /// <summary>The prefix or source id (empty for <see cref="TopicPrefixKind.None"/>).</summary>
    public string Value { get; }

    /// <summary>The SUB subscription this spec installs: the UTF-8 bytes of <see cref="Value"/> (empty = everything).</summary>
    public ReadOnlySpan<byte> Subscription => _bytes;

    /// <summary>Whether <paramref name="topic"/> (raw bytes) is accepted.</summary>
    public bool Matches(ReadOnlySpan<byte> topic) => Kind switch
    {
        TopicPrefixKind.None => true,
        TopicPrefixKind.Prefix => topic.StartsWith(_bytes),
        _ => topic.SequenceEqual(_bytes),
    };

    /// <summary>Whether <paramref name="topic"/> is accepted.</summary>
    public bool Matches(string topic) => Matches(Encoding.UTF8.GetBytes(topic ?? throw new ArgumentNullException(nameof(topic))));

    /// <summary>Parses the string form: exactly <c>none</c>, or <c>prefix{…}</c> / <c>source{…}</c> with the value
    /// taken verbatim between the first <c>{</c> and the last <c>}</c>.</summary>
    /// <exception cref="FormatException">Anything else.</exception>
    public static TopicPrefixSpec Parse(string text) =>
        TryParse(text, out var spec) ? spec : throw new FormatException($"Invalid topic prefix spec '{text}': use none, prefix{{...}} or source{{...}}.");

    /// <summary>Parses the string form; false when invalid.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TopicPrefixSpec? spec)
    {
        spec = null;
        if (text is null)
        {
            return false;
        }

        if (text == "none")
        {
            spec = None;
        }
        else if (text.StartsWith("source{", StringComparison.Ordinal) && text.EndsWith('}'))
        {
            spec = SourceId(text["source{".Length..^1]);
        }
        else if (text.StartsWith("prefix{", StringComparison.Ordinal) && text.EndsWith('}'))
        {
            spec = Prefix(text["prefix{".Length..^1]);
        }

        return spec is not null;
    }

    /// <summary>The string form (round-trips through <see cref="Parse"/>).</summary>
    public override string ToString() => Kind switch
    {
        TopicPrefixKind.None => "none",
        TopicPrefixKind.Prefix => $"prefix{{{Value}}}",
        _ => $"source{{{Value}}}",
    };

    /// <inheritdoc/>
    public bool Equals(TopicPrefixSpec? other) => other is not null && other.Kind == Kind && other.Value == Value;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as TopicPrefixSpec);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, Value);
}
