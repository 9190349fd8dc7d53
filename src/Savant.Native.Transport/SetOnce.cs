namespace Savant.Native.Transport;

/// <summary>A set-once option with a default (spec §3): setting it twice is an error; reading an unset cell freezes
/// it at its default.</summary>
internal struct SetOnce<T>
{
    private readonly string _name;
    private T _value;
    private bool _set;

    public SetOnce(string name, T defaultValue)
    {
        _name = name;
        _value = defaultValue;
        _set = false;
    }

    public readonly bool IsSet => _set;

    public T Get()
    {
        _set = true;
        return _value;
    }

    public readonly T Peek() => _value;

    public readonly void EnsureUnset()
    {
        if (_set)
        {
            throw new InvalidOperationException($"The option '{_name}' is already set (each option can be set once; reading an unset option fixes its default).");
        }
    }

    public void Set(T value)
    {
        EnsureUnset();
        _value = value;
        _set = true;
    }
}
