using System.CommandLine;
using Savant.Native.Cli.Commands;

namespace Savant.Native.Cli;

/// <summary>The <c>savant-zmq</c> tool. Exit codes: 0 ok, 1 runtime failure, 2 usage error.</summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    internal static RootCommand BuildRoot()
    {
        var root = new RootCommand("savant-zmq: stream video frames over ZeroMQ (libzmq), wire-compatible with savant-rs and SLEAP")
        {
            GlobalOptions.Json,
            GlobalOptions.Quiet,
            GlobalOptions.Verbose,
        };
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(SendCommand.Create());
        root.Subcommands.Add(RecvCommand.Create());
        root.Subcommands.Add(SleapCommand.Create());
        root.Subcommands.Add(SoakCommand.Create());
        return root;
    }

    internal static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                error.WriteLine($"error: {e.Message}");
            }

            error.WriteLine("Run 'savant-zmq --help' for usage.");
            return 2;
        }

        bool verbose = parse.GetValue(GlobalOptions.Verbose);
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = error });
        }
        catch (Exception e) when (Classify(e) is { } code)
        {
            error.WriteLine($"error: {Describe(e)}");
            if (verbose)
            {
                error.WriteLine(e.ToString());
            }

            return code;
        }
    }

    private static int? Classify(Exception e) => e switch
    {
        UsageException => 2,
        ArgumentException => 2,
        FormatException => 2,
        OperationCanceledException => 1,
        _ => 1,
    };

    private static string Describe(Exception e) => e switch
    {
        ArgumentException a when a.ParamName is not null => a.Message.Replace($" (Parameter '{a.ParamName}')", string.Empty, StringComparison.Ordinal),
        DllNotFoundException d => d.Message,
        _ => e.Message,
    };
}
