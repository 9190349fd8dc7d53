using System.Text.Json;
using Savant.Native.Cli.Commands;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Cli;

/// <summary>The demo's "managed bytes per frame": measured over the steady state (process-wide allocation counter
/// deltas after warm-up), at most the reader's view leases per 1080p frame by default and none with pooled views.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class DemoAllocationTests
{
    [Test]
    public void The_figure_is_the_counter_delta_over_the_frames_after_warm_up()
    {
        long counter = 1_000;
        int reads = 0;
        var window = new SteadyStateAllocations(warmupFrames: 3, warmupSeconds: 0, () =>
        {
            reads++;
            return counter;
        });

        for (long sent = 1; sent <= 13; sent++)
        {
            counter += sent <= 3 ? 5_000 : 250; // sending frame `sent`: warm-up allocates a lot, the steady state 250 B
            window.OnFrameSent(sent, sent);
        }

        window.Stop(13);
        Assert.That(reads, Is.EqualTo(2), "read at the end of warm-up and at the stop");
        Assert.That(window.Frames, Is.EqualTo(10));
        Assert.That(window.Bytes, Is.EqualTo(10 * 250));
        Assert.That(window.BytesPerFrame, Is.EqualTo(250));

        var never = new SteadyStateAllocations(100, 0, () => 0);
        never.OnFrameSent(5, 1);
        never.Stop(5);
        Assert.That(never.BytesPerFrame, Is.EqualTo(-1), "no window, no figure");
    }

    private static JsonElement Demo(params string[] extra)
    {
        using var p = ChildProcess.StartCli(["demo", "--transport", "ipc", "--frames", "300", "--json", .. extra]);
        int exit = p.Wait(TimeSpan.FromSeconds(90));
        Assert.That(exit, Is.EqualTo(0), p.Stderr);
        string last = p.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last();
        var summary = JsonDocument.Parse(last).RootElement.Clone();
        long measured = summary.GetProperty("managed_bytes_measured").GetInt64();
        long frames = summary.GetProperty("measured_frames").GetInt64();
        long perFrame = summary.GetProperty("managed_bytes_per_frame").GetInt64();
        TestContext.Out.WriteLine($"demo {string.Join(' ', extra)}: {perFrame} B/frame ({measured} B over {frames} frames after warm-up; {summary.GetProperty("managed_bytes_per_frame_with_warmup").GetInt64()} B/frame with warm-up)");
        Assert.That(frames, Is.InRange(200, 300), "the window covers the frames after warm-up");
        Assert.That(perFrame, Is.EqualTo(measured / frames), "the figure is the measured bytes over the measured frames");
        Assert.That(summary.GetProperty("frames_verified").GetInt64(), Is.EqualTo(300));
        return summary;
    }

    [Test]
    public void A_1080p_run_allocates_at_most_the_view_leases_per_frame_and_nothing_with_pooled_views()
    {
        var checkedViews = Demo();
        Assert.That(checkedViews.GetProperty("frame_bytes").GetInt64(), Is.EqualTo(6_220_800));
        Assert.That(checkedViews.GetProperty("managed_bytes_per_frame").GetInt64(), Is.InRange(1, 128),
            "checked views: the result lease and one view per received frame, nothing else");

        var pooled = Demo("--pooled-views");
        Assert.That(pooled.GetProperty("pooled_views").GetBoolean(), Is.True);
        // Any per-frame object is at least 24 B; process-wide runtime noise stays below that over 200+ frames.
        Assert.That(pooled.GetProperty("managed_bytes_per_frame").GetInt64(), Is.LessThan(24), "pooled views: nothing per frame");
    }
}
