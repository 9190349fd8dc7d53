// Build script for Savant.Native: ./build.sh --target=<Target>
//   Native  install libzmq (native/install-libzmq.sh)
//   Peers   build the C baseline and the Rust/Python peers (native/build-peers.sh)
//   Build   build the solution (Release)
//   Test    run every test (NUnit, real libzmq) and print "N passed, N failed"
//   Demo    run `savant-zmq demo` (the README's main job)
//   Bench   the side-by-side throughput harness and BenchmarkDotNet suite (long; not in CI)
using System.Xml.Linq;

var target = Argument("target", "Demo");
var configuration = Argument("configuration", "Release");
var demoArgs = Argument("demo-args", "");
var benchArgs = Argument("bench-args", "");
var testFilter = Argument("filter", "");
var root = MakeAbsolute(Directory("."));
var artifacts = root.Combine("artifacts");
var testResults = artifacts.Combine("test-results");

void Run(string file, string args)
{
    Information($"> {file} {args}");
    int exit = StartProcess(file, new ProcessSettings { Arguments = args, WorkingDirectory = root });
    if (exit != 0)
    {
        throw new Exception($"{file} {args} failed with exit code {exit}");
    }
}

Task("Native")
    .Description("Find or install libzmq 4.x")
    .Does(() => Run("bash", "native/install-libzmq.sh"));

Task("Peers")
    .Description("Build the C baseline and the cross-language peers")
    .IsDependentOn("Native")
    .Does(() =>
    {
        if (FileExists(root.CombineWithFilePath("native/build-peers.sh")))
        {
            Run("bash", "native/build-peers.sh");
        }
        else
        {
            Warning("native/build-peers.sh not present; skipping peers");
        }
    });

Task("Build")
    .IsDependentOn("Native")
    .Does(() =>
    {
        DotNetBuild("Savant.Native.sln", new DotNetBuildSettings { Configuration = configuration });
    });

Task("Test")
    .Description("Run all tests against the real libzmq")
    .IsDependentOn("Peers")
    .IsDependentOn("Build")
    .Does(() =>
    {
        CleanDirectory(testResults);
        var settings = new DotNetTestSettings
        {
            Configuration = configuration,
            NoBuild = true,
            ResultsDirectory = testResults,
            Loggers = { "trx;LogFileName=results.trx", "console;verbosity=normal" },
            ArgumentCustomization = a => a.Append("--blame-hang-timeout 5m"),
        };
        if (!string.IsNullOrEmpty(testFilter))
        {
            settings.Filter = testFilter;
        }

        Exception failure = null;
        try
        {
            DotNetTest("Savant.Native.sln", settings);
        }
        catch (Exception e)
        {
            failure = e;
        }

        int passed = 0, failed = 0, skipped = 0;
        foreach (var trx in GetFiles(testResults.FullPath + "/**/*.trx"))
        {
            var counters = XDocument.Load(trx.FullPath).Descendants().First(e => e.Name.LocalName == "Counters");
            int Count(string name) => int.Parse(counters.Attribute(name)?.Value ?? "0");
            passed += Count("passed");
            failed += Count("failed") + Count("error") + Count("timeout") + Count("aborted");
            skipped += Count("notExecuted") + Count("inconclusive");
        }

        Information(skipped > 0 ? $"{passed} passed, {failed} failed, {skipped} skipped" : $"{passed} passed, {failed} failed");
        if (failure != null)
        {
            throw failure;
        }
    });

Task("Demo")
    .Description("Run the savant-zmq demo (the README's main job)")
    .IsDependentOn("Build")
    .Does(() =>
    {
        var cli = root.CombineWithFilePath("src/Savant.Native.Cli/Savant.Native.Cli.csproj");
        if (!FileExists(cli))
        {
            throw new Exception("The savant-zmq CLI (src/Savant.Native.Cli) is not part of this checkout yet.");
        }

        Run("dotnet", $"run --no-build -c {configuration} --project {cli} -- demo {demoArgs}".Trim());
    });

Task("Bench")
    .Description("Side-by-side throughput harness and micro-benchmarks (long)")
    .IsDependentOn("Peers")
    .IsDependentOn("Build")
    .Does(() =>
    {
        Run("dotnet", $"run --no-build -c {configuration} --project bench/Savant.Native.Bench -- {benchArgs}".Trim());
    });

Task("Default").IsDependentOn("Demo");

RunTarget(target);
