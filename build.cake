// Build script for Savant.Native: ./build.sh --target=<Target>
//   Native  install libzmq (native/install-libzmq.sh)
//   Peers   build the C baseline and the Rust/Python peers (native/build-peers.sh)
//   Build   build the solution (Release)
//   Test    run the unit and the functional tests (NUnit, real libzmq) and print "N passed, N failed" over both
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
    .Description("Run the unit tests, then the functional tests against the real libzmq")
    .IsDependentOn("Peers")
    .IsDependentOn("Build")
    .Does(() =>
    {
        CleanDirectory(testResults);

        // Two projects, each writing its own .trx (one shared file name would let the second run overwrite the first):
        // the unit tests (no sockets, seconds) and the functional tests (real libzmq, peers, processes).
        var projects = new[]
        {
            "tests/Savant.Native.UnitTests/Savant.Native.UnitTests.csproj",
            "tests/Savant.Native.Tests/Savant.Native.Tests.csproj",
        };
        var failures = new List<Exception>();
        foreach (var project in projects)
        {
            string name = System.IO.Path.GetFileNameWithoutExtension(project);
            var settings = new DotNetTestSettings
            {
                Configuration = configuration,
                NoBuild = true,
                ResultsDirectory = testResults,
                Loggers = { $"trx;LogFileName={name}.trx", "console;verbosity=normal" },
                ArgumentCustomization = a => a.Append("--blame-hang-timeout 5m"),
            };
            if (!string.IsNullOrEmpty(testFilter))
            {
                settings.Filter = testFilter;
            }

            try
            {
                DotNetTest(project, settings);
            }
            catch (Exception e)
            {
                failures.Add(e);
            }
        }

        // One place computes the summary line, totalled over every .trx: build/test-summary.py (.ci/run prints it too).
        int summary = StartProcess("python3", new ProcessSettings
        {
            Arguments = $"build/test-summary.py \"{testResults.FullPath}\"",
            WorkingDirectory = root,
        });
        if (summary != 0 && failures.Count == 0)
        {
            failures.Add(new Exception("No test results were produced."));
        }

        if (failures.Count != 0)
        {
            throw failures[0];
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
