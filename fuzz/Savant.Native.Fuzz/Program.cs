using System.Diagnostics;
using SharpFuzz;
using Savant.Native.Fuzz;

// Usage:
//   Savant.Native.Fuzz <target>                 run under afl-fuzz (SharpFuzz persistent loop; input on the AFL channel)
//   Savant.Native.Fuzz <target> --replay PATH…  run files or folders through the target once, in-process
//   Savant.Native.Fuzz --seed CORPUS_ROOT VECTORS_DIR   write the seed corpora (fuzz/corpus/<target>/seed-*)
//   Savant.Native.Fuzz --list                   list the targets
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: Savant.Native.Fuzz <target> [--replay PATH...] | --seed CORPUS_ROOT VECTORS_DIR | --list");
    return 2;
}

if (args[0] == "--list")
{
    foreach (var t in FuzzTargets.All)
    {
        Console.WriteLine($"{t.Name,-18} {t.Description}");
    }

    return 0;
}

if (args[0] == "--seed")
{
    int written = Seeds.Write(args[1], args[2]);
    Console.WriteLine($"{written} seed files written under {args[1]}");
    return 0;
}

var target = FuzzTargets.Find(args[0]);
if (target is null)
{
    Console.Error.WriteLine($"unknown target '{args[0]}'; --list shows them");
    return 2;
}

if (args.Length > 1 && args[1] == "--replay")
{
    // FUZZ_REPEAT=N replays the inputs N times in this process (persistent-mode state such as leaked resources shows).
    int repeat = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_REPEAT"), out int r) ? r : 1;
    int count = 0;
    var clock = Stopwatch.StartNew();
    foreach (var path in Enumerable.Repeat(args.Skip(2), repeat).SelectMany(p => p))
    {
        var files = Directory.Exists(path) ? Directory.GetFiles(path).Order(StringComparer.Ordinal) : (IEnumerable<string>)[path];
        foreach (var file in files)
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"{file}: {e}");
                return 1;
            }

            count++;
        }
    }

    string fds = Directory.Exists("/proc/self/fd") ? $", {Directory.GetFiles("/proc/self/fd").Length} open file descriptors" : "";
    Console.WriteLine($"{target.Name}: {count} inputs replayed in {clock.Elapsed.TotalSeconds:F2} s, no finding{fds}");
    return 0;
}

// FUZZ_LOG=<file>: every finding's exception is appended there (AFL keeps only the input).
string? log = Environment.GetEnvironmentVariable("FUZZ_LOG");
Fuzzer.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    try
    {
        target.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }
    catch (Exception e) when (log is not null)
    {
        File.AppendAllText(log, $"--- {DateTime.UtcNow:O} {target.Name} input {Convert.ToHexString(buffer.GetBuffer(), 0, (int)Math.Min(buffer.Length, 256))}\n{e}\n");
        throw;
    }
});
return 0;
