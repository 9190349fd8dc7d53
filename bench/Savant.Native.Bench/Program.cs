using BenchmarkDotNet.Running;

namespace Savant.Native.Bench;

/// <summary>Benchmark entry point: <c>micro [BenchmarkDotNet args]</c> runs the micro-benchmarks.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "micro";
        switch (mode)
        {
            case "micro":
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Skip(1).ToArray());
                return 0;
            default:
                Console.Error.WriteLine($"unknown mode '{mode}'. Use: micro [--filter *Name*] [BenchmarkDotNet options]");
                return 2;
        }
    }
}
