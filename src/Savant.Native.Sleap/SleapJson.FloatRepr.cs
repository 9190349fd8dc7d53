using System.Globalization;
using System.Text;

namespace Savant.Native.Sleap;

// Python repr(float) formatting of doubles, as json.dumps writes them.
public static partial class SleapJson
{
    /// <summary>Formats <paramref name="value"/> as Python's <c>repr(float)</c> does (and so as <c>json.dumps</c> does):
    /// the shortest round-tripping digits, fixed notation with a fractional part when the decimal exponent is in
    /// [-4, 16), scientific notation with a signed two-digit exponent otherwise; <c>NaN</c>, <c>Infinity</c>,
    /// <c>-Infinity</c> for non-finite values.</summary>
    public static string FormatDouble(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0.0" : "0.0";
        }

        // .NET's "R" is the shortest string that round-trips, like Python's repr; only the layout differs.
        string r = value.ToString("R", CultureInfo.InvariantCulture);
        bool negative = r[0] == '-';
        if (negative)
        {
            r = r[1..];
        }

        int exponent = 0;
        int ePos = r.IndexOfAny(['E', 'e']);
        string mantissa = r;
        if (ePos >= 0)
        {
            exponent = int.Parse(r.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            mantissa = r[..ePos];
        }

        int dot = mantissa.IndexOf('.');
        string intPart = dot < 0 ? mantissa : mantissa[..dot];
        string fracPart = dot < 0 ? string.Empty : mantissa[(dot + 1)..];
        string digits = intPart + fracPart;
        int pointPos = intPart.Length + exponent; // value = 0.digits × 10^pointPos
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0')
        {
            lead++;
        }

        digits = digits[lead..];
        pointPos -= lead;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        int e10 = pointPos - 1;
        var sb = new StringBuilder(32);
        if (negative)
        {
            sb.Append('-');
        }

        if (e10 >= -4 && e10 < 16)
        {
            if (pointPos <= 0)
            {
                sb.Append("0.").Append('0', -pointPos).Append(digits);
            }
            else if (pointPos >= digits.Length)
            {
                sb.Append(digits).Append('0', pointPos - digits.Length).Append(".0");
            }
            else
            {
                sb.Append(digits, 0, pointPos).Append('.').Append(digits, pointPos, digits.Length - pointPos);
            }
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1)
            {
                sb.Append('.').Append(digits, 1, digits.Length - 1);
            }

            sb.Append('e').Append(e10 < 0 ? '-' : '+').Append(Math.Abs(e10).ToString("00", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }
}
