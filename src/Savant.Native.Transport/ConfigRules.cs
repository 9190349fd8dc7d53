using System.Globalization;

namespace Savant.Native.Transport;

/// <summary>Shared helpers of the two config builders.</summary>
internal static class ConfigRules
{
    public static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be greater than zero.");

    public static int NonNegative(int value, string name) =>
        value >= 0 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must not be negative.");

    public static int Milliseconds(TimeSpan value, string name)
    {
        double ms = value.TotalMilliseconds;
        if (ms < 1 || ms > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be from 1 ms to int.MaxValue ms.");
        }

        return (int)ms;
    }

    public static int ParseInt(string key, string text)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
        {
            throw new FormatException($"Map config key '{key}': '{text}' is not a decimal integer.");
        }

        return value;
    }

    public static ulong ParseULong(string key, string text)
    {
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
        {
            throw new FormatException($"Map config key '{key}': '{text}' is not a decimal integer.");
        }

        return value;
    }

    public static uint ParseOctal(string key, string text)
    {
        try
        {
            if (text.Length == 0 || text.Length > 11)
            {
                throw new FormatException();
            }

            return Convert.ToUInt32(text, 8);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new FormatException($"Map config key '{key}': '{text}' is not an octal number (e.g. 777 or 0753).");
        }
    }
}
