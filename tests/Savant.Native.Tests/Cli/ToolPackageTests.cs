using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Cli;

/// <summary>The published form of the tool: <c>dotnet pack</c> of the CLI (which carries the libraries it uses), a
/// <c>dotnet tool install</c> from that local package into a temporary tool path, and the installed
/// <c>savant-zmq demo</c>. Offline: the install reads only the local package folder, through its own NuGet.config and
/// its own package cache, so nothing from the machine's feeds or caches can stand in for the package just made.</summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(TestTimeouts.Default)]
public sealed class ToolPackageTests
{
    private const string PackageId = "Savant.Native.Cli";

    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(90);

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private string _work = null!;

    [SetUp]
    public void CreateWorkFolder()
    {
        _work = Path.Combine(Path.GetTempPath(), $"savant-tool-package-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_work);
    }

    [TearDown]
    public void RemoveWorkFolder()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [Test]
    public void The_packed_tool_installs_from_a_local_source_and_runs_the_demo()
    {
        var clock = Stopwatch.StartNew();
        string root = ChildProcess.RepositoryRoot;
        string packages = Path.Combine(_work, "packages");
        string tools = Path.Combine(_work, "tools");

        // The CLI as built for this test run (the test project references it): pack without building again.
        string project = Path.Combine(root, "src", "Savant.Native.Cli", "Savant.Native.Cli.csproj");
        Run("dotnet", ["pack", project, "-c", Configuration, "--no-build", "-o", packages, "-nologo"], root);
        string nupkg = Directory.GetFiles(packages, $"{PackageId}.*.nupkg").Single(f => !f.EndsWith(".snupkg", StringComparison.Ordinal));
        string version = Path.GetFileNameWithoutExtension(nupkg)[(PackageId.Length + 1)..];
        Assert.That(File.Exists(Path.ChangeExtension(nupkg, ".snupkg")), Is.True, "the symbol package is produced next to the package");
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            Assert.That(entries, Does.Contain("README.md").And.Contain("LICENSE"));
            Assert.That(entries, Has.Some.EndsWith("/savant-zmq.dll"));
            Assert.That(entries, Has.Some.EndsWith("/Savant.Native.Transport.dll"), "the tool carries the libraries it uses");
        }

        // Only the local folder as a source, and a package cache of its own.
        string config = Path.Combine(_work, "NuGet.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_work, "nuget-cache") };
        Run("dotnet", ["tool", "install", PackageId, "--version", version, "--tool-path", tools, "--configfile", config], _work, env);

        string tool = Path.Combine(tools, OperatingSystem.IsWindows() ? "savant-zmq.exe" : "savant-zmq");
        Assert.That(File.Exists(tool), Is.True, tool);

        // The installed launcher finds the runtime this test runs on.
        string dotnetRoot = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var (exit, stdout, stderr) = Run(tool, ["demo", "--frames", "30"], _work, new() { ["DOTNET_ROOT"] = dotnetRoot }, check: false);
        Assert.That(exit, Is.EqualTo(0), $"stdout:\n{stdout}\nstderr:\n{stderr}");
        Assert.That(Figure(stdout, "frames received"), Is.EqualTo(30), stdout);
        Assert.That(Figure(stdout, "frames verified"), Is.EqualTo(30), stdout);
        Assert.That(Figure(stdout, "lost"), Is.Zero, stdout);
        TestContext.Out.WriteLine($"pack, install and demo: {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>The number in the summary table's row <paramref name="metric"/> (whatever the table's border characters).</summary>
    private static long Figure(string table, string metric)
    {
        var match = Regex.Match(table, $@"^\W*{Regex.Escape(metric)}\W+([\d,]+)\W*$", RegexOptions.Multiline);
        Assert.That(match.Success, Is.True, $"no '{metric}' row in the summary");
        return long.Parse(match.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
    }

    private static (int Exit, string Stdout, string Stderr) Run(string file, string[] args, string workingDirectory, Dictionary<string, string>? environment = null, bool check = true)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (key, value) in environment ?? [])
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(StepTimeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish within {StepTimeout.TotalSeconds} s:\n{stdout.Result}\n{stderr.Result}");
        }

        process.WaitForExit();
        var result = (process.ExitCode, stdout.Result, stderr.Result);
        if (check)
        {
            Assert.That(result.ExitCode, Is.EqualTo(0), $"{file} {string.Join(' ', args)} failed:\n{result.Item2}\n{result.Item3}");
        }

        return result;
    }
}
