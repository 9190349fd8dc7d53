using Savant.Native.Sockets;

namespace Savant.Native.Transport.Internal;

/// <summary>Creates reader/writer sockets: options in the spec's order, then bind (with IPC directory creation and
/// permission fixing, §3.5 and D-13) or connect.</summary>
internal static class SavantSockets
{
    public static ZmqSocket Open(ZmqContext context, ZmqSocketType type, string endpoint, bool bind, uint? fixIpcPermissions, Action<ZmqSocket> configure, out string actualEndpoint)
    {
        var socket = context.CreateSocket(type);
        try
        {
            configure(socket);
            if (!bind)
            {
                actualEndpoint = socket.Connect(endpoint);
                return socket;
            }

            if (endpoint.StartsWith("ipc://", StringComparison.Ordinal))
            {
                string path = endpoint["ipc://".Length..];
                if (path.Length == 0)
                {
                    throw new ArgumentException($"The IPC endpoint '{endpoint}' has an empty path.");
                }

                bool isAbstract = path[0] == '@';
                if (!isAbstract)
                {
                    if (Directory.Exists(path))
                    {
                        throw new IOException($"Cannot bind '{endpoint}': the path is a directory.");
                    }

                    string? dir = Path.GetDirectoryName(path);
                    if (!string.IsNullOrEmpty(dir))
                    {
                        Directory.CreateDirectory(dir);
                    }
                }

                actualEndpoint = socket.Bind(endpoint);
                if (fixIpcPermissions is { } mode && !isAbstract)
                {
                    if (!File.Exists(path))
                    {
                        throw new IOException($"Cannot fix the permissions of '{path}': the socket file does not exist after bind.");
                    }

                    if (!OperatingSystem.IsWindows())
                    {
                        File.SetUnixFileMode(path, (UnixFileMode)mode);
                    }
                }

                return socket;
            }

            actualEndpoint = socket.Bind(endpoint);
            return socket;
        }
        catch
        {
            socket.Linger = TimeSpan.Zero;
            socket.Dispose();
            throw;
        }
    }
}
