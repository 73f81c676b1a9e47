using StyleStudio.Data.Rating;
using StyleStudio.Evaluation.Rating;

namespace StyleStudio.Web.Components.Rating;

/// <summary>
/// The rating pages' words, in one place: the studio has no localisation mechanism yet (every page is English), so
/// this is where a zh-CN table would plug in.
/// </summary>
public static class RatingTexts
{
    public const string Title = "Blind rating";
    public const string NewStudy = "New study";
    public const string NewStudyHelp =
        "A study shows raters the source and two outputs side by side, in a random order per rater and item, without " +
        "saying which system wrote which. It takes the first N rows of the dataset you choose — pick the held-out set " +
        "that `stylestudio data split` made (NAME.validation). Each system is a model the studio serves (rewriting " +
        "greedily) or a predictions file: UTF-8, one output per line, one line per row in the dataset's order.";
    public const string StudyName = "Study name";
    public const string Dataset = "Dataset (held-out rows)";
    public const string Rows = "Rows (first N)";
    public const string MaxNewTokens = "Max new tokens";
    public const string Create = "Create study";
    public const string Studies = "Studies";
    public const string NoStudies = "No studies yet.";
    public const string Rate = "Rate";
    public const string Results = "Results";
    public const string FromModel = "Model";
    public const string FromFile = "Predictions file";

    public static string Source(int system) => $"System {system} source";
    public static string Model(int system) => $"System {system} model";
    public static string Upload(int system) => $"Predictions file for system {system}";

    public const string YourName = "Your name";
    public const string Start = "Start rating";
    public const string SourceText = "Source";
    public const string Previous = "Previous item";
    public const string KeyboardHint = "Keys 1–4 choose; scores are optional and are saved with the choice.";
    public static string Progress(int item, int total, int rated) => $"Item {item} of {total} · {rated} rated";
    public static string AllDone(int total) => $"You have rated all {total} items. Thank you!";

    public static string Choice(ScreenChoice choice) => choice switch
    {
        ScreenChoice.ABetter => "A better",
        ScreenChoice.BBetter => "B better",
        ScreenChoice.Tie => "Tie",
        ScreenChoice.BothBad => "Both bad",
        _ => choice.ToString(),
    };

    /// <summary>The key that picks a choice, shown on its button.</summary>
    public static string Key(ScreenChoice choice) => ((int)choice + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string Axis(RatingAxis axis) => axis switch
    {
        RatingAxis.Style => "Style strength",
        RatingAxis.Meaning => "Meaning preserved",
        RatingAxis.Fluency => "Fluency",
        _ => axis.ToString(),
    };

    public const string WinRateHelp =
        "Win rate of system 1 over system 2: a win counts 1, a tie or \"both bad\" counts ½ to each system. The 95 % " +
        "interval is a percentile bootstrap over items (an item's ratings are resampled together).";
    public const string PreferenceAlpha = "Agreement on preferences (Krippendorff's α, nominal, by system)";
    public const string AxisAlpha = "α (ordinal)";
    public const string Export = "Export CSV";
    public const int RecommendedRaters = 3;
    public static string FewRaters(int raters) =>
        $"{raters} rater{(raters == 1 ? "" : "s")} so far: human evaluations of style transfer usually ask for at least {RecommendedRaters}, so that α rests on enough pairs.";
    public const string Undefined = "undefined";
    public const string UndefinedHelp = "α is undefined where no output or item has values from two raters, or where every value is the same; hover for the reason.";
}
