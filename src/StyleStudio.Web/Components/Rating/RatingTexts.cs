using Microsoft.Extensions.Localization;
using StyleStudio.Data.Rating;
using StyleStudio.Evaluation.Rating;

namespace StyleStudio.Web.Components.Rating;

/// <summary>
/// The words the rating pages share — the instructions, choices and axis names raters see, and the results' notes — in
/// the page's language (zh-CN from <c>Resources/Components/Rating/RatingTexts.zh-CN.resx</c>), so that the study page, the
/// rater's page and the results name things alike.
/// </summary>
public sealed class RatingTexts(IStringLocalizer<RatingTexts> L)
{
    public const int RecommendedRaters = 3;

    public string Title => L["Blind rating"];
    public string NewStudy => L["New study"];
    public string NewStudyHelp => L["A study shows raters the source and two outputs side by side, in a random order per rater and item, without saying which system wrote which. It takes the first N rows of the dataset you choose — pick the held-out set that `stylestudio data split` made (NAME.validation). Each system is a model the studio serves (rewriting greedily) or a predictions file: UTF-8, one output per line, one line per row in the dataset's order."];
    public string StudyName => L["Study name"];
    public string Dataset => L["Dataset (held-out rows)"];
    public string Rows => L["Rows (first N)"];
    public string MaxNewTokens => L["Max new tokens"];
    public string Create => L["Create study"];
    public string Studies => L["Studies"];
    public string NoStudies => L["No studies yet."];
    public string Rate => L["Rate"];
    public string Results => L["Results"];
    public string FromModel => L["Model"];
    public string FromFile => L["Predictions file"];

    public string Source(int system) => L["System {0} source", system];
    public string Model(int system) => L["System {0} model", system];
    public string Upload(int system) => L["Predictions file for system {0}", system];

    public string YourName => L["Your name"];
    public string Start => L["Start rating"];
    public string SourceText => L["Source"];
    public string Previous => L["Previous item"];
    public string KeyboardHint => L["Keys 1–4 choose; scores are optional and are saved with the choice."];
    public string Progress(int item, int total, int rated) => L["Item {0} of {1} · {2} rated", item, total, rated];
    public string AllDone(int total) => L["You have rated all {0} items. Thank you!", total];

    public string Choice(ScreenChoice choice) => choice switch
    {
        ScreenChoice.ABetter => L["A better"],
        ScreenChoice.BBetter => L["B better"],
        ScreenChoice.Tie => L["Tie"],
        ScreenChoice.BothBad => L["Both bad"],
        _ => choice.ToString(),
    };

    /// <summary>The key that picks a choice, shown on its button.</summary>
    public static string Key(ScreenChoice choice) => ((int)choice + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public string Axis(RatingAxis axis) => axis switch
    {
        RatingAxis.Style => L["Style strength"],
        RatingAxis.Meaning => L["Meaning preserved"],
        RatingAxis.Fluency => L["Fluency"],
        _ => axis.ToString(),
    };

    public string WinRateHelp => L["Win rate of system 1 over system 2: a win counts 1, a tie or \"both bad\" counts ½ to each system. The 95 % interval is a percentile bootstrap over items (an item's ratings are resampled together)."];
    public string PreferenceAlpha => L["Agreement on preferences (Krippendorff's α, nominal, by system)"];
    public string AxisAlpha => L["α (ordinal)"];
    public string Export => L["Export CSV"];
    public string FewRaters(int raters) => raters == 1
        ? L["1 rater so far: human evaluations of style transfer usually ask for at least {0}, so that α rests on enough pairs.", RecommendedRaters]
        : L["{0} raters so far: human evaluations of style transfer usually ask for at least {1}, so that α rests on enough pairs.", raters, RecommendedRaters];
    public string Undefined => L["undefined"];
    public string UndefinedHelp => L["α is undefined where no output or item has values from two raters, or where every value is the same; hover for the reason."];
}
