using StyleStudio.Training.Trainer;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using Plotly.Blazor;
using Plotly.Blazor.LayoutLib.YAxisLib;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Training;

namespace StyleStudio.Web.Components.Training;

/// <summary>A run drawn on a chart: its name, its steps so far, and whether it has validation loss to draw.</summary>
public sealed record ChartRun(int Id, string Name, IReadOnlyList<TrainingEvent> Metrics, bool Validates)
{
    public static ChartRun Of(RunRecord run, IReadOnlyList<TrainingEvent> metrics) =>
        new(run.Id, run.Name, metrics, run.Settings.ValSize > 0 || metrics.Any(m => m.EvalLoss is not null));
}

/// <summary>The metric a run chart shows.</summary>
public enum ChartMetric { Loss, ValidationLoss, LearningRate, GradNorm, TokensPerSecond }

/// <summary>
/// One metric of one or more runs over their steps (loss with validation loss, validation loss, learning rate, gradient
/// norm, tokens/s), with TensorBoard's smoothing, a log or linear y axis and a PNG download. New steps reach the browser
/// as they arrive (Plotly's extendTraces); a long run is drawn from at most <see cref="DisplayPoints"/> points a trace
/// (<see cref="MetricSeries.Downsample"/>) while every step stays stored.
/// </summary>
public partial class RunChart
{
    /// <summary>Points a trace is drawn with at most; live steps are appended until a trace holds twice as many, then it is thinned again.</summary>
    public const int DisplayPoints = 2000;

    [Inject] IStringLocalizer<RunChart> L { get; set; } = null!;

    /// <summary>The runs drawn, each with the steps recorded before the chart opened. Required.</summary>
    [Parameter, EditorRequired] public IReadOnlyList<ChartRun> Runs { get; set; } = [];

    /// <summary>The chart element's id (tests and scripts read its data). Defaults to <c>run-chart</c>.</summary>
    [Parameter] public string Id { get; set; } = "run-chart";

    /// <summary>The downloaded image's name, without extension. Defaults to <c>run</c>.</summary>
    [Parameter] public string FileName { get; set; } = "run";

    /// <summary>One drawn trace: whose steps, which values, and how many of them the browser has.</summary>
    sealed record Trace(int RunId, Func<TrainingEvent, double?> Value, bool Smoothed)
    {
        public int Sent { get; set; }      // series points represented in the browser
        public int Drawn { get; set; }     // points the browser holds (fewer than Sent once thinned)
    }

    PlotlyChart chart = null!;
    readonly Config config = new() { Responsive = true, DisplayLogo = false };
    readonly Plotly.Blazor.Layout layout = new() { Height = 360, XAxis = [new()], YAxis = [new()] };
    readonly IList<ITrace> data = [];
    readonly Dictionary<int, List<TrainingEvent>> steps = [];
    readonly List<Trace> traces = [];
    ChartMetric metric = ChartMetric.Loss;
    double smoothing;
    bool logScale = true, drawn, flushing, rebuild;

    protected override void OnInitialized()
    {
        foreach (var run in Runs) steps[run.Id] = [.. run.Metrics];
        Build();
    }

    /// <summary>Adds a run's new step; only new points travel to the browser. Steps it already has are ignored.</summary>
    public async Task Append(int runId, TrainingEvent step)
    {
        if (!steps.TryGetValue(runId, out var list) || (list.Count > 0 && step.Step <= list[^1].Step)) return;
        list.Add(step);
        await Flush();
    }

    /// <summary>The traces of the chosen metric, rebuilt from every stored step (thinned, smoothed as set).</summary>
    void Build()
    {
        data.Clear();
        traces.Clear();
        foreach (var run in Runs)
        {
            foreach (var (name, value, markers) in Series(run))
            {
                if (smoothing > 0) Add(run.Id, name, value, markers, smoothed: false, faded: true);
                Add(run.Id, name, value, markers, smoothed: smoothing > 0, faded: false);
            }
        }
        layout.XAxis[0].Title = new() { Text = L["step"].Value };
        layout.YAxis[0].Title = new() { Text = MetricName(metric) };
        layout.YAxis[0].Type = logScale ? TypeEnum.Log : TypeEnum.Linear;
    }

    void Add(int runId, string name, Func<TrainingEvent, double?> value, bool markers, bool smoothed, bool faded)
    {
        var trace = new Trace(runId, value, smoothed);
        var (x, y) = Points(trace, 0);
        var keep = MetricSeries.Downsample(y, DisplayPoints);
        data.Add(new Scatter
        {
            Name = name, Mode = markers ? ModeFlag.Lines | ModeFlag.Markers : ModeFlag.Lines,
            X = keep.Select(i => (object)x[i]).ToList(), Y = keep.Select(i => (object)y[i]).ToList(),
            Opacity = faded ? 0.3m : null, ShowLegend = !faded, HoverInfo = faded ? HoverInfoFlag.Skip : null,
        });
        (trace.Sent, trace.Drawn) = (x.Count, keep.Count);
        traces.Add(trace);
    }

    /// <summary>A trace's steps and values from series point <paramref name="from"/> on (smoothing needs all before them).</summary>
    (List<int> X, List<double> Y) Points(Trace trace, int from)
    {
        var points = steps[trace.RunId].Where(m => trace.Value(m) is { } v && double.IsFinite(v)).ToList();
        var values = points.Select(m => trace.Value(m)!.Value).ToList();
        IReadOnlyList<double> y = trace.Smoothed ? MetricSeries.Ema(values, smoothing) : values;
        return (points.Skip(from).Select(m => m.Step).ToList(), y.Skip(from).ToList());
    }

    /// <summary>What <see cref="metric"/> draws for a run: the loss chart adds validation loss (with markers, it is sparse).</summary>
    IEnumerable<(string Name, Func<TrainingEvent, double?> Value, bool Markers)> Series(ChartRun run) => metric switch
    {
        ChartMetric.Loss when run.Validates => [(run.Name, m => m.Loss, false), (L["{0} (validation)", run.Name].Value, m => m.EvalLoss, true)],
        ChartMetric.Loss => [(run.Name, m => m.Loss, false)],
        ChartMetric.ValidationLoss => [(run.Name, m => m.EvalLoss, true)],
        ChartMetric.LearningRate => [(run.Name, m => m.LearningRate, false)],
        ChartMetric.GradNorm => [(run.Name, m => m.GradNorm, false)],
        _ => [(run.Name, m => m.TokensPerSecond, false)],
    };

    string MetricName(ChartMetric shown) => shown switch
    {
        ChartMetric.Loss => L["Loss"],
        ChartMetric.ValidationLoss => L["Validation loss"],
        ChartMetric.LearningRate => L["Learning rate"],
        ChartMetric.GradNorm => L["Gradient norm"],
        _ => L["Tokens/s"],
    };

    Task Show(ChartMetric shown)
    {
        metric = shown;
        return Redraw();
    }

    Task Smooth(double weight)
    {
        smoothing = Math.Clamp(weight, 0, 0.99);
        return Redraw();
    }

    Task SetLogScale(bool on)
    {
        logScale = on;
        return Redraw();
    }

    Task DownloadPng() => chart.DownloadImage(ImageFormat.Png, 480, 1000, $"{FileName}-{metric.ToString().ToLowerInvariant()}");

    async Task Redraw()
    {
        rebuild = true;
        await Flush();
    }

    async Task Drawn()
    {
        drawn = true;
        await Flush();
    }

    /// <summary>
    /// The one path by which the browser's chart changes, in order: a rebuild (new metric, smoothing or scale, or a trace
    /// grown past twice <see cref="DisplayPoints"/>) redraws all; otherwise each trace gets only its new points.
    /// </summary>
    async Task Flush()
    {
        if (!drawn || flushing) return;
        flushing = true;
        try
        {
            bool more = true;
            while (more)
            {
                more = false;
                if (rebuild || traces.Any(t => t.Drawn > 2 * DisplayPoints))
                {
                    rebuild = false;
                    Build();
                    await chart.React();
                    more = true;   // steps may have arrived meanwhile
                    continue;
                }
                for (int i = 0; i < traces.Count; i++)
                {
                    var trace = traces[i];
                    var (x, y) = Points(trace, trace.Sent);
                    if (x.Count == 0) continue;
                    (trace.Sent, trace.Drawn) = (trace.Sent + x.Count, trace.Drawn + x.Count);
                    await chart.ExtendTrace(x.Cast<object>(), y.Cast<object>(), i);
                    more = true;
                }
                if (rebuild) more = true;
            }
        }
        finally
        {
            flushing = false;
        }
    }
}
