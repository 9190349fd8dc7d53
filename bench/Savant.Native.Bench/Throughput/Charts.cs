namespace Savant.Native.Bench.Throughput;

/// <summary>PNG charts with ScottPlot: GB/s (reader, median) by payload size, one line per system.</summary>
public static class Charts
{
    public static bool Write(string path, string transport, List<Report.Stat> stats)
    {
        try
        {
            var plot = new ScottPlot.Plot();
            var palette = new ScottPlot.Palettes.Category20();
            int index = 0;
            var sizes = stats.Select(s => s.Size).Distinct().OrderBy(x => x).ToArray();
            foreach (var g in stats.GroupBy(s => s.System))
            {
                var points = g.Where(s => !double.IsNaN(s.Gbps)).OrderBy(s => s.Size).ToArray();
                if (points.Length == 0)
                {
                    continue;
                }

                double[] xs = points.Select(s => Math.Log2(s.Size)).ToArray();
                double[] ys = points.Select(s => s.Gbps).ToArray();
                var line = plot.Add.Scatter(xs, ys, palette.GetColor(index++));
                line.LegendText = g.Key;
                line.LineWidth = 2;
                line.MarkerSize = 8;
                // Peers dashed (C) or dotted (Rust, NetMQ); this library solid.
                string family = g.First().Family;
                bool rust = g.Key.StartsWith("Savant Rust -> Rust", StringComparison.Ordinal);
                line.LinePattern = family == "c" ? ScottPlot.LinePattern.Dashed : family == "netmq" || rust ? ScottPlot.LinePattern.Dotted : ScottPlot.LinePattern.Solid;
                line.MarkerShape = family switch
                {
                    "c" => ScottPlot.MarkerShape.FilledSquare,
                    "netmq" => ScottPlot.MarkerShape.FilledTriangleUp,
                    "savant" => ScottPlot.MarkerShape.FilledDiamond,
                    _ => ScottPlot.MarkerShape.FilledCircle,
                };
            }

            plot.Axes.Bottom.SetTicks(sizes.Select(s => Math.Log2(s)).ToArray(), sizes.Select(s => s >= 1 << 20 ? $"{s / 1e6:F1} MB" : $"{s / 1024} KiB").ToArray());
            plot.Axes.Bottom.Label.Text = "payload size";
            plot.Axes.Left.Label.Text = "GB/s (reader, median)";
            plot.Title($"DEALER→ROUTER over {transport}: throughput by payload size");
            plot.ShowLegend(ScottPlot.Edge.Right);
            plot.SavePng(path, 1400, 700);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or InvalidOperationException or ArgumentException)
        {
            Console.Error.WriteLine($"chart {path}: {e.Message}");
            return false;
        }
    }
}
