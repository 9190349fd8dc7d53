using System.Diagnostics;
using System.Text;

namespace Savant.Native.Tests.TestSupport;

/// <summary>Runs a program as a child process with a hard timeout, capturing its output.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private ChildProcess(Process process) => _process = process;

    /// <summary>The repository root (the folder holding Savant.Native.sln), found upwards from the test assembly.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Savant.Native.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Savant.Native.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Starts <c>dotnet savant-zmq.dll args</c> (the CLI built next to the tests).</summary>
    public static ChildProcess StartCli(params string[] args) =>
        Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "savant-zmq.dll"), .. args]);

    /// <summary>Starts <paramref name="file"/> with <paramref name="args"/>.</summary>
    /// <param name="file">The program.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="workingDirectory">Default: the repository root.</param>
    /// <param name="onStdoutLine">Also receives every standard-output line as it arrives, then null at the end (for
    /// callers that consume a program's output while it runs).</param>
    public static ChildProcess Start(string file, IEnumerable<string> args, string? workingDirectory = null, Action<string?>? onStdoutLine = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepositoryRoot,
        };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (child._stdout)
                {
                    child._stdout.AppendLine(e.Data);
                }
            }

            onStdoutLine?.Invoke(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (child._stderr)
                {
                    child._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs to completion (killing it after <paramref name="timeout"/>) and returns the exit code.</summary>
    public int Wait(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            throw new TimeoutException($"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} did not finish within {timeout}; stderr: {Stderr}");
        }

        _process.WaitForExit(); // flush the asynchronous readers
        return _process.ExitCode;
    }

    /// <summary>Kills the process with SIGKILL (no clean-up runs in it) and waits until it is gone.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Process id.</summary>
    public int Id => _process.Id;

    /// <summary>Everything written to standard output so far.</summary>
    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Everything written to standard error so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Kills the process if it still runs.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
