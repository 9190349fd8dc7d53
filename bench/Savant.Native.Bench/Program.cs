using BenchmarkDotNet.Running;
using Savant.Native.Bench.Throughput;

namespace Savant.Native.Bench;

/// <summary>Benchmark entry point.</summary>
/// <remarks>
/// <c>micro [BenchmarkDotNet args]</c> runs the micro-benchmarks; <c>worker ...</c> runs one throughput role and prints a
/// JSON summary; <c>throughput [--quick] ...</c> runs the side-by-side comparison and writes <c>bench/results/</c>.
/// </remarks>
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
            case "worker":
                return Worker.Run(args.Skip(1).ToArray());
            case "shm-worker":
                return SharedMemoryWorker.Run(args.Skip(1).ToArray());
            case "throughput":
                return Orchestrator.Run(args.Skip(1).ToArray());
            default:
                Console.Error.WriteLine($"unknown mode '{mode}'. Use: micro [--filter *Name*] [BenchmarkDotNet options] | worker --help | throughput [--quick] [--help]");
                return 2;
        }
    }
}
