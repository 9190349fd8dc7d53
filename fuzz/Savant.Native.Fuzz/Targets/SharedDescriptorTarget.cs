using System.Buffers.Binary;
using Savant.Native.Frames;
using Savant.Native.Sockets;

namespace Savant.Native.Fuzz;

/// <summary>
/// A received shared-memory descriptor frame: arbitrary bytes go to <see cref="SharedFrameReceiver.TryResolve"/> while
/// a real pool (in a private temporary directory) has one slot in the sent state, so valid, stale, out-of-range and
/// forged descriptors all reach the checks. Every input must give a defined <see cref="SharedFrameStatus"/> — never an
/// exception; a refused frame must be unchanged; a resolved one must view exactly the range it names inside the slot
/// (checked against the pattern the writer put there), and the genuine descriptor must then be refused as stale.
/// </summary>
/// <remarks>Input: one flags byte, then the frame (at most 64 bytes used). The pool id and generation are random per
/// process, so the flags patch them in: bit 0 writes the descriptor header (magic, version, size) over bytes 0–7, bit 1
/// the real pool id over 8–15, bit 2 the sent slot's index over 16–19, bit 3 its current generation over 20–23 (each
/// only where the frame is long enough). The rest of the input decides slot, offset and length. The directory also
/// holds a decoy file named like a pool with id <see cref="DecoyPoolId"/> that fails the file checks.</remarks>
public sealed class SharedDescriptorTarget : FuzzTarget
{
    private const int SlotSize = 4096;
    private const int MaxFrame = 64;

    /// <summary>The id of a decoy file in the pool directory that fails the pool checks (mode 0644, no header).</summary>
    public const ulong DecoyPoolId = 0x5eed_dec0_7000_0001;
    private static State? s_state;

    /// <inheritdoc/>
    public override string Name => "shm-descriptor";

    /// <summary>What the last non-empty input gave (replay tests check which statuses the corpus reaches).</summary>
    public SharedFrameStatus LastStatus { get; private set; }

    /// <inheritdoc/>
    public override string Description => "Shared-memory descriptor validation (SharedFrameReceiver.TryResolve against a real pool)";

    /// <inheritdoc/>
    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var state = s_state ??= new State();
        int flags = input[0];
        var frameBytes = input[1..Math.Min(input.Length, MaxFrame + 1)];

        // One slot of the real pool in the sent state, with a known pattern and a genuine descriptor for it.
        if (!state.Pool.TryRent(TimeSpan.FromSeconds(10), out var slot))
        {
            throw new FuzzFindingException("no slot came back to the pool (a resolved frame's release was lost)");
        }

        byte fill = (byte)(state.Round++ * 13);
        slot.Span.Fill(fill);
        for (int i = 0; i < SlotSize; i += 251)
        {
            slot.Span[i] = (byte)(i * 7);
        }

        if (!state.Sender.TrySendShared(slot, SlotSize))
        {
            slot.Dispose();
            throw new FuzzFindingException("the descriptor could not be sent over inproc");
        }

        if (!state.Receiver.TryReceiveFrame(out var genuine))
        {
            throw new FuzzFindingException("the genuine descriptor did not arrive");
        }

        using (genuine)
        {
            Span<byte> patched = stackalloc byte[frameBytes.Length];
            frameBytes.CopyTo(patched);
            var real = genuine.Span;
            Patch(patched, real, flags & 1, 0, 8);
            Patch(patched, real, flags & 2, 8, 16);
            Patch(patched, real, flags & 4, 16, 20);
            Patch(patched, real, flags & 8, 20, 24);
            SharedFrameStatus status;
            using (var frame = ZmqFrame.Create(patched))
            {
                status = state.Frames.TryResolve(frame);
                if (!Enum.IsDefined(status))
                {
                    throw new FuzzFindingException($"undefined status {(int)status}");
                }

                if (status == SharedFrameStatus.Resolved)
                {
                    CheckResolved(frame, patched, fill);
                }
                else if (!frame.Span.SequenceEqual(patched))
                {
                    throw new FuzzFindingException($"a refused frame ({status}) was changed");
                }
            }

            LastStatus = status;
            var genuineStatus = state.Frames.TryResolve(genuine);
            var expected = status == SharedFrameStatus.Resolved ? SharedFrameStatus.StaleSlot : SharedFrameStatus.Resolved;
            if (genuineStatus != expected)
            {
                throw new FuzzFindingException($"the genuine descriptor gave {genuineStatus} after the input gave {status}");
            }
        }
    }

    private static void Patch(Span<byte> frame, ReadOnlySpan<byte> real, int flag, int from, int to)
    {
        if (flag != 0 && frame.Length >= to)
        {
            real[from..to].CopyTo(frame[from..]);
        }
    }

    private static void CheckResolved(ZmqFrame frame, ReadOnlySpan<byte> descriptor, byte fill)
    {
        ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(descriptor[24..]);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(descriptor[32..]);
        if (offset + length > SlotSize || (ulong)frame.Length != length)
        {
            throw new FuzzFindingException($"resolved a range outside the slot: offset {offset}, length {length}, frame {frame.Length}");
        }

        var span = frame.Span;
        for (int i = 0; i < span.Length; i++)
        {
            int at = (int)offset + i;
            byte want = at % 251 == 0 ? (byte)(at * 7) : fill;
            if (span[i] != want)
            {
                throw new FuzzFindingException($"resolved frame byte {i} (slot offset {at}) is {span[i]}, the writer put {want}");
            }
        }
    }

    /// <summary>The pool, the receiver and an inproc pair that carries the genuine descriptors; made once per process
    /// (the fuzzer's persistent loop keeps it), removed with the process's directory at exit (or, after a kill, at the
    /// next start).</summary>
    private sealed class State
    {
        public State()
        {
            if (!OperatingSystem.IsLinux())
            {
                throw new PlatformNotSupportedException("Shared-memory frames need Linux.");
            }

            string root = System.IO.Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
            RemoveLeftovers(root);
            Directory = Path.Combine(root, $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Pool = new SharedFramePool(2, SlotSize, new SharedFramePoolOptions { Directory = Directory });
            Frames = new SharedFrameReceiver(Directory, maxPools: 4);
            // A decoy named like a pool of this user but world-readable: descriptors naming it must be refused.
            string decoy = Path.Combine(Directory, Path.GetFileName(Pool.FilePath).Replace($"{Pool.PoolId:x16}", $"{DecoyPoolId:x16}", StringComparison.Ordinal));
            File.WriteAllBytes(decoy, new byte[2 * SlotSize]);
            File.SetUnixFileMode(decoy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            Context = new ZmqContext(1);
            Receiver = Context.CreateSocket(ZmqSocketType.Pair);
            Sender = Context.CreateSocket(ZmqSocketType.Pair);
            foreach (var socket in new[] { Receiver, Sender })
            {
                socket.Linger = TimeSpan.Zero;
                socket.ReceiveTimeout = TimeSpan.FromSeconds(10);
                socket.SendTimeout = TimeSpan.FromSeconds(10);
            }

            string endpoint = $"inproc://fuzz-shm-{Guid.NewGuid():N}";
            Receiver.Bind(endpoint);
            Sender.Connect(endpoint);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Close();
        }

        private const string Prefix = "savant-fuzz-shm-";

        public string Directory { get; }

        public SharedFramePool Pool { get; }

        public SharedFrameReceiver Frames { get; }

        public ZmqContext Context { get; }

        public ZmqSocket Receiver { get; }

        public ZmqSocket Sender { get; }

        public int Round { get; set; }

        /// <summary>The fuzzer ends its target process with SIGKILL, so the exit hook does not run there: directories
        /// of processes that no longer exist are removed at the next start.</summary>
        private static void RemoveLeftovers(string root)
        {
            foreach (var dir in System.IO.Directory.EnumerateDirectories(root, Prefix + "*"))
            {
                var name = Path.GetFileName(dir.AsSpan())[Prefix.Length..];
                int dash = name.IndexOf('-');
                if (dash > 0 && int.TryParse(name[..dash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)
                    && !System.IO.Directory.Exists($"/proc/{pid}"))
                {
                    try
                    {
                        System.IO.Directory.Delete(dir, recursive: true);
                    }
                    catch (IOException)
                    {
                    }
                    catch (UnauthorizedAccessException)
                    {
                    }
                }
            }
        }

        private void Close()
        {
            try
            {
                Sender.Dispose();
                Receiver.Dispose();
                Context.Dispose();
                Frames.Dispose();
                Pool.Dispose();
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
