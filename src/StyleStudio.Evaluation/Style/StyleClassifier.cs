using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Text;
using StyleStudio.Data.Model;
using StyleStudio.Evaluation.Metrics;

namespace StyleStudio.Evaluation.Style;

/// <summary>How well the classifier tells the styles apart on texts it was not trained on: trust style accuracy only
/// as far as this goes.</summary>
/// <param name="Accuracy">Share of held-out texts given their true label.</param>
/// <param name="PerLabel">Per label: held-out texts and the share recognised.</param>
public sealed record ClassifierQuality(int TrainTexts, int HeldOutTexts, double Accuracy, IReadOnlyList<LabelQuality> PerLabel);

public sealed record LabelQuality(string Label, int HeldOut, double Recall);

/// <summary>
/// A classifier of writing style trained on one dataset with ML.NET: the target-style answers are each a class (one
/// per style), the source texts one more class, <see cref="Source"/>. Features are character n-grams (1–3; 1–4 for spaced languages) — for
/// Chinese, where words are not spaced, characters carry the style (之乎者也, ～, 啦) — plus word uni- and bigrams for
/// spaced languages; a maximum-entropy model (SDCA) on top, single-threaded so that it trains the same every time.
/// A fifth of the texts (seeded) are held out to measure the classifier itself before it judges anything.
/// </summary>
public sealed class StyleClassifier
{
    public const string Source = "(source)";
    const int Seed = 20261130;

    readonly PredictionEngine<Text, Prediction> engine;
    readonly object gate = new();

    public ClassifierQuality Quality { get; }
    public IReadOnlyList<string> Labels { get; }

    StyleClassifier(PredictionEngine<Text, Prediction> engine, ClassifierQuality quality, IReadOnlyList<string> labels) =>
        (this.engine, Quality, Labels) = (engine, quality, labels);

    /// <summary>The source text of a row (what was rewritten): its input, or its instruction when it has none.</summary>
    public static string SourceText(DatasetRow row) => string.IsNullOrWhiteSpace(row.Input) ? row.Instruction : row.Input;

    /// <exception cref="ArgumentException">Too few texts, or only one class, to learn anything.</exception>
    public static StyleClassifier Train(IReadOnlyList<DatasetRow> rows)
    {
        var texts = rows.Select(r => new Text { Label = r.Style ?? StyleEvaluator.NoStyle, Value = r.Output })
            .Concat(rows.Select(r => new Text { Label = Source, Value = SourceText(r) }))
            .Where(t => !string.IsNullOrWhiteSpace(t.Value))
            .ToList();
        var labels = texts.Select(t => t.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        if (labels.Count < 2 || texts.Count < 10)
            throw new ArgumentException($"a style classifier needs rewrites and their sources, at least 10 texts; the dataset gives {texts.Count} in {labels.Count} class(es)");

        bool chinese = StyleEvaluator.Detect(texts.Select(t => t.Value)) == MtTokenization.Chinese;
        var ml = new MLContext(Seed);
        var (train, heldOut) = Split(texts);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("LabelKey", nameof(Text.Label))
            .Append(ml.Transforms.Text.FeaturizeText("Features", new TextFeaturizingEstimator.Options
            {
                CharFeatureExtractor = new WordBagEstimator.Options { NgramLength = chinese ? 3 : 4, UseAllLengths = true },
                WordFeatureExtractor = chinese ? null : new WordBagEstimator.Options { NgramLength = 2, UseAllLengths = true },
                Norm = TextFeaturizingEstimator.NormFunction.L2,
            }, nameof(Text.Value)))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new Microsoft.ML.Trainers.SdcaMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = "LabelKey", NumberOfThreads = 1, MaximumNumberOfIterations = 100,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue(nameof(Prediction.PredictedLabel)));
        var model = pipeline.Fit(ml.Data.LoadFromEnumerable(train));
        var engine = ml.Model.CreatePredictionEngine<Text, Prediction>(model);

        var predicted = heldOut.Select(t => (t.Label, Predicted: engine.Predict(t).PredictedLabel)).ToList();
        var quality = new ClassifierQuality(train.Count, heldOut.Count,
            predicted.Count == 0 ? double.NaN : predicted.Count(p => p.Label == p.Predicted) / (double)predicted.Count,
            labels.Select(l => predicted.Where(p => p.Label == l).ToList())
                .Select((of, i) => new LabelQuality(labels[i], of.Count, of.Count == 0 ? double.NaN : of.Count(p => p.Predicted == labels[i]) / (double)of.Count))
                .ToList());
        return new StyleClassifier(engine, quality, labels);
    }

    /// <summary>The label the classifier gives a text: a style name, or <see cref="Source"/>.</summary>
    public string Classify(string text)
    {
        lock (gate) return engine.Predict(new Text { Value = text, Label = "" }).PredictedLabel ?? Source; // PredictionEngine is not thread-safe
    }

    /// <summary>Each label's held-out fifth (stratified, seeded), the rest to train on.</summary>
    static (List<Text> Train, List<Text> HeldOut) Split(List<Text> texts)
    {
        var random = new Random(Seed);
        var train = new List<Text>();
        var heldOut = new List<Text>();
        foreach (var group in texts.GroupBy(t => t.Label))
        {
            var shuffled = group.OrderBy(_ => random.Next()).ToList();
            int held = shuffled.Count >= 5 ? shuffled.Count / 5 : 0;
            heldOut.AddRange(shuffled.Take(held));
            train.AddRange(shuffled.Skip(held));
        }
        return (train, heldOut);
    }

    sealed class Text
    {
        public string Label { get; set; } = "";
        public string Value { get; set; } = "";
    }

    sealed class Prediction
    {
        [ColumnName("PredictedLabel")] public string PredictedLabel { get; set; } = "";
    }
}
