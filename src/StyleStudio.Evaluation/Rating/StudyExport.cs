using System.Globalization;
using CsvHelper;
using StyleStudio.Data.Rating;

namespace StyleStudio.Evaluation.Rating;

/// <summary>
/// A study's ratings as CSV, one row per rating, with the real system names: what the rater preferred (a system's name,
/// "tie" or "both bad"), which system was shown as A, and the optional scores per system. Written through CsvHelper, so
/// texts with commas, quotes or line breaks stay one field.
/// </summary>
public static class StudyExport
{
    public static readonly string[] Header =
    [
        "study", "item", "rater", "preference", "preferred_system", "shown_as_a", "system_1", "system_2",
        "system_1_style", "system_1_meaning", "system_1_fluency", "system_2_style", "system_2_meaning", "system_2_fluency",
        "rated_utc", "source",
    ];

    public static string Csv(RatingStudy study, IEnumerable<StudyRating> ratings)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = CsvWriter.Create(text, new CsvWriterOptions { NewLine = "\n" }, leaveOpen: true))
        {
            csv.WriteRecord(Header);
            foreach (var r in ratings)
            {
                string? Score(int system, RatingAxis axis) => r.ScoresOf(system)[axis]?.ToString(CultureInfo.InvariantCulture);
                csv.WriteRecord(
                [
                    study.Name, r.Item.ToString(CultureInfo.InvariantCulture), r.Rater, Label(r.Preference),
                    r.Preference switch { StudyPreference.System1 => study.System1, StudyPreference.System2 => study.System2, _ => "" },
                    r.Swapped ? study.System2 : study.System1, study.System1, study.System2,
                    Score(1, RatingAxis.Style) ?? "", Score(1, RatingAxis.Meaning) ?? "", Score(1, RatingAxis.Fluency) ?? "",
                    Score(2, RatingAxis.Style) ?? "", Score(2, RatingAxis.Meaning) ?? "", Score(2, RatingAxis.Fluency) ?? "",
                    r.RatedUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), study.Items[r.Item].Source,
                ]);
            }
        }
        return text.ToString();
    }

    /// <summary>The preference as the export writes it: system_1, system_2, tie or both_bad.</summary>
    public static string Label(StudyPreference preference) => preference switch
    {
        StudyPreference.System1 => "system_1",
        StudyPreference.System2 => "system_2",
        StudyPreference.Tie => "tie",
        StudyPreference.BothBad => "both_bad",
        _ => throw new ArgumentOutOfRangeException(nameof(preference)),
    };
}
