// Build script for Savant.Native: ./build.sh --target=<Target>
//   Native  install libzmq (native/install-libzmq.sh)
//   Peers   build the C baseline and the Rust/Python peers (native/build-peers.sh)
//   Build   build the solution (Release)
//   Test    run every test (NUnit, real libzmq) and print "N passed, N failed"
//   Demo    run `savant-zmq demo` (the README's main job)
//   Bench   the side-by-side throughput harness and BenchmarkDotNet suite (long; not in CI)

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

        // One place computes the summary line: build/test-summary.py (.ci/run prints it too).
        int summary = StartProcess("python3", new ProcessSettings
        {
            Arguments = $"build/test-summary.py \"{testResults.FullPath}\"",
            WorkingDirectory = root,
        });
        if (summary != 0 && failure == null)
        {
            failure = new Exception("No test results were produced.");
        }

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
