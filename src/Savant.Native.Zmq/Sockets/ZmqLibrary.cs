using System.Runtime.InteropServices;
using System.Text;
using Savant.Native.Interop;

namespace Savant.Native.Sockets;

/// <summary>Facts about the loaded libzmq, and its stateless helpers (Z85, CURVE key pairs).</summary>
public static unsafe class ZmqLibrary
{
    /// <summary>The oldest libzmq this library supports.</summary>
    public static readonly Version MinimumVersion = new(4, 3, 0);

    /// <summary>The loaded libzmq's version (<c>zmq_version</c>). Loads the library if needed.</summary>
    /// <exception cref="DllNotFoundException">libzmq is not installed; the message says how to install it.</exception>
    public static Version Version
    {
        get
        {
            int major, minor, patch;
            Libzmq.Version(&major, &minor, &patch);
            return new Version(major, minor, patch);
        }
    }

    /// <summary>Where libzmq was loaded from (null before the first call into it).</summary>
    public static string? LoadedFrom => LibzmqResolver.LoadedFrom;

    /// <summary>The environment variable that overrides which libzmq file is loaded.</summary>
    public const string LibraryPathEnvironmentVariable = LibzmqResolver.EnvironmentVariable;

    /// <summary>Whether libzmq was built with a capability: <c>ipc</c>, <c>pgm</c>, <c>tipc</c>, <c>norm</c>,
    /// <c>curve</c>, <c>gssapi</c>, <c>draft</c> (<c>zmq_has</c>).</summary>
    public static bool Has(string capability)
    {
        ArgumentException.ThrowIfNullOrEmpty(capability);
        return Libzmq.Has(capability) != 0;
    }

    /// <summary>Null when the loaded libzmq is usable, otherwise why not (too old, or missing).</summary>
    public static string? NotSupportedReason
    {
        get
        {
            try
            {
                var v = Version;
                return v < MinimumVersion ? $"libzmq {v} is older than the required {MinimumVersion}" : null;
            }
            catch (DllNotFoundException e)
            {
                return e.Message;
            }
        }
    }

    /// <summary>Encodes binary data (length a multiple of 4) as Z85 text.</summary>
    public static string Z85Encode(ReadOnlySpan<byte> data)
    {
        if (data.Length % 4 != 0)
        {
            throw new ArgumentException($"Z85 encodes whole 4-byte groups; the data is {data.Length} bytes.", nameof(data));
        }

        Span<byte> text = data.Length * 5 / 4 + 1 <= 512 ? stackalloc byte[data.Length * 5 / 4 + 1] : new byte[data.Length * 5 / 4 + 1];
        fixed (byte* src = data)
        fixed (byte* dst = text)
        {
            if (Libzmq.Z85Encode(dst, src, (nuint)data.Length) == null)
            {
                throw new ArgumentException("Z85 encoding failed.", nameof(data));
            }
        }

        return Encoding.ASCII.GetString(text[..^1]);
    }

    /// <summary>Decodes Z85 text (length a multiple of 5) to bytes.</summary>
    public static byte[] Z85Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length % 5 != 0)
        {
            throw new ArgumentException($"Z85 text comes in 5-character groups; '{text}' has {text.Length} characters.", nameof(text));
        }

        byte[] input = new byte[text.Length + 1];
        Encoding.ASCII.GetBytes(text, input);
        byte[] result = new byte[text.Length * 4 / 5];
        fixed (byte* src = input)
        fixed (byte* dst = result)
        {
            if (Libzmq.Z85Decode(dst, src) == null)
            {
                throw new ArgumentException($"'{text}' is not valid Z85 text.", nameof(text));
            }
        }

        return result;
    }

    /// <summary>Generates a CURVE key pair as 40-character Z85 strings.</summary>
    /// <exception cref="NotSupportedException">libzmq was built without CURVE.</exception>
    public static (string PublicKey, string SecretKey) CurveKeyPair()
    {
        byte* pub = stackalloc byte[41];
        byte* sec = stackalloc byte[41];
        if (Libzmq.CurveKeypair(pub, sec) == -1)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (ErrorMapping.ToError(errno) == ZmqError.ENOTSUP)
            {
                throw new NotSupportedException("The installed libzmq was built without CURVE security (zmq_has(\"curve\") is false).");
            }

            ErrorMapping.Throw(errno, "zmq_curve_keypair");
        }

        return (Marshal.PtrToStringAnsi((nint)pub, 40), Marshal.PtrToStringAnsi((nint)sec, 40));
    }

    /// <summary>Derives the Z85 public key from a Z85 secret key.</summary>
    public static string CurvePublicKey(string secretKey)
    {
        ArgumentNullException.ThrowIfNull(secretKey);
        if (secretKey.Length != 40)
        {
            throw new ArgumentException("A Z85 CURVE key is 40 characters.", nameof(secretKey));
        }

        byte* pub = stackalloc byte[41];
        byte* sec = stackalloc byte[41];
        Encoding.ASCII.GetBytes(secretKey, new Span<byte>(sec, 40));
        sec[40] = 0;
        ErrorMapping.ThrowIfFailed(Libzmq.CurvePublic(pub, sec), "zmq_curve_public");
        return Marshal.PtrToStringAnsi((nint)pub, 40);
    }
}
