namespace Savant.Native.Tests.TestSupport;

/// <summary>
/// Per-test time limits, applied with <c>[CancelAfter]</c> on every fixture of both test projects. NUnit cannot abort
/// a test on .NET (its <c>[Timeout]</c> is obsolete there and gone in NUnit 4.5): when the limit passes it cancels
/// <see cref="TestContext.CancellationToken"/>; a test that throws on it fails with "exceeded CancelAfter", and a
/// socket test (<c>ZmqTestBase</c>) that returns late fails at tear-down. A test that never returns is ended by the
/// run's hang timeout (<c>--blame-hang-timeout</c>).
/// </summary>
internal static class TestTimeouts
{
    /// <summary>Unit fixtures (Savant.Native.UnitTests: no sockets, no libzmq context, no child processes): 15 s per
    /// test (the slowest takes well under a second).</summary>
    public const int Unit = 15_000;

    /// <summary>Functional fixtures: 120 s per test (the slowest test takes about 7 s on two shared cores).</summary>
    public const int Default = 120_000;

    /// <summary>Fixtures with child processes, network namespaces or 100,000-message runs: 300 s per test.</summary>
    public const int Long = 300_000;
}
