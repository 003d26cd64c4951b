using System.Globalization;
using System.Text;

namespace Parley.Training.Sft;

/// <summary>Writes train and eval loss per step as a small self-contained SVG (no plotting dependency).</summary>
/// <example><code>LossPlot.Write("out/loss.svg", [(1, 4.2), (2, 3.9)], [(0, 4.3), (2, 3.8)], "QLoRA: loss per step");</code></example>
public static class LossPlot
{
    /// <summary>Writes the plot: train loss as a line, eval loss as dots, steps on the x axis.</summary>
    /// <param name="path">The SVG file to write.</param>
    /// <param name="train">Train loss per optimizer step.</param>
    /// <param name="eval">Eval loss at the steps it was measured.</param>
    /// <param name="title">The title line.</param>
    /// <example><code>LossPlot.Write("loss.svg", trainLoss, evalLoss);</code></example>
    public static void Write(string path, IReadOnlyList<(int Step, double Loss)> train, IReadOnlyList<(int Step, double Loss)> eval, string title = "QLoRA: loss per step")
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(eval);
        const double width = 720, height = 400, left = 60, right = 20, top = 30, bottom = 50;
        var all = train.Concat(eval).ToList();
        int maxStep = Math.Max(1, all.Count == 0 ? 1 : all.Max(p => p.Step));
        double minLoss = all.Count == 0 ? 0 : all.Min(p => p.Loss), maxLoss = all.Count == 0 ? 1 : all.Max(p => p.Loss);
        if (maxLoss - minLoss < 1e-9) maxLoss = minLoss + 1;
        string X(int step) => (left + (width - left - right) * step / maxStep).ToString("F1", CultureInfo.InvariantCulture);
        string Y(double loss) => (top + (height - top - bottom) * (maxLoss - loss) / (maxLoss - minLoss)).ToString("F1", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"18\" font-size=\"14\">{System.Security.SecurityElement.Escape(title)}</text>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" stroke=\"black\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"black\"/>");
        for (int i = 0; i <= 4; i++)
        {
            double loss = minLoss + (maxLoss - minLoss) * i / 4;
            int step = maxStep * i / 4;
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{Y(loss)}\" text-anchor=\"end\">{loss:F2}</text>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{X(step)}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\">{step}</text>");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{(width + left) / 2}\" y=\"{height - 10}\" text-anchor=\"middle\">step</text>");
        if (train.Count > 0)
        {
            svg.Append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
            svg.AppendJoin(' ', train.Select(p => X(p.Step) + "," + Y(p.Loss)));
            svg.AppendLine("\"/>");
        }

        foreach (var (step, loss) in eval)
        {
            svg.AppendLine(CultureInfo.InvariantCulture, $"<circle cx=\"{X(step)}\" cy=\"{Y(loss)}\" r=\"4\" fill=\"#d62728\"/>");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{width - 180}\" y=\"{top + 10}\" fill=\"#1f77b4\">— train loss</text>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{width - 180}\" y=\"{top + 26}\" fill=\"#d62728\">● eval loss</text>");
        svg.AppendLine("</svg>");
        AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(svg.ToString())));
    }
}
