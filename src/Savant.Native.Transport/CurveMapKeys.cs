using Savant.Native.Security;
namespace Savant.Native.Transport;

/// <summary>
/// CURVE keys of the map config form (an extension of spec §3.3): a server (binding side) gives
/// <c>curve_server_secret_key</c>, <c>curve_allowed_client_keys</c> (comma-separated Z85 public keys) and optionally
/// <c>curve_allowed_networks</c> (comma-separated CIDR); a client (connecting side) gives
/// <c>curve_server_public_key</c> and <c>curve_client_secret_key</c>.
/// </summary>
public static class CurveMapKeys
{
    /// <summary>Server secret key (Z85).</summary>
    public const string ServerSecretKey = "curve_server_secret_key";

    /// <summary>Allowed client public keys (Z85, comma-separated).</summary>
    public const string AllowedClientKeys = "curve_allowed_client_keys";

    /// <summary>Allowed peer networks (CIDR, comma-separated).</summary>
    public const string AllowedNetworks = "curve_allowed_networks";

    /// <summary>The server's public key a client expects (Z85).</summary>
    public const string ServerPublicKey = "curve_server_public_key";

    /// <summary>The client's secret key (Z85).</summary>
    public const string ClientSecretKey = "curve_client_secret_key";

    internal static bool IsKey(string key) => key is ServerSecretKey or AllowedClientKeys or AllowedNetworks or ServerPublicKey or ClientSecretKey;

    internal static CurveOptions? FromMap(IReadOnlyDictionary<string, string> map)
    {
        static string[] List(IReadOnlyDictionary<string, string> m, string key) =>
            m.TryGetValue(key, out var v) ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];

        bool server = map.ContainsKey(ServerSecretKey) || map.ContainsKey(AllowedClientKeys) || map.ContainsKey(AllowedNetworks);
        bool client = map.ContainsKey(ServerPublicKey) || map.ContainsKey(ClientSecretKey);
        if (server && client)
        {
            throw new ArgumentException("The map config mixes CURVE server keys (curve_server_secret_key, curve_allowed_*) and client keys (curve_server_public_key, curve_client_secret_key).", nameof(map));
        }

        if (server)
        {
            return CurveOptions.Server(map.TryGetValue(ServerSecretKey, out var secret) ? secret : throw new ArgumentException($"'{ServerSecretKey}' is required for a CURVE server.", nameof(map)),
                List(map, AllowedClientKeys), List(map, AllowedNetworks));
        }

        if (client)
        {
            return CurveOptions.Client(
                map.TryGetValue(ServerPublicKey, out var serverKey) ? serverKey : throw new ArgumentException($"'{ServerPublicKey}' is required for a CURVE client.", nameof(map)),
                map.TryGetValue(ClientSecretKey, out var clientKey) ? clientKey : throw new ArgumentException($"'{ClientSecretKey}' is required for a CURVE client.", nameof(map)));
        }

        return null;
    }
}
