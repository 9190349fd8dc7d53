namespace Savant.Native.Transport;

public sealed partial class WriterConfigBuilder
{
    private SharedMemoryOptions? _sharedMemory;

    /// <summary>Enables same-host shared-memory frames (see <see cref="SharedMemoryOptions"/>); both writer and reader
    /// must enable it. ipc endpoints only: <see cref="Build"/> throws <see cref="ArgumentException"/> for others.</summary>
    /// <param name="options">Pool settings; null: the defaults.</param>
    public WriterConfigBuilder WithSharedMemory(SharedMemoryOptions? options = null)
    {
        _sharedMemory = options ?? new SharedMemoryOptions();
        return this;
    }

    private SharedMemoryOptions? CheckedSharedMemory(string endpoint)
    {
        _sharedMemory?.Validate(endpoint);
        return _sharedMemory;
    }
}
