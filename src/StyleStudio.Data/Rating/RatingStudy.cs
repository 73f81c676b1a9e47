namespace StyleStudio.Data.Rating;

/// <summary>
/// A blind A/B rating study: items from a dataset's rows and the outputs of two systems (a model id, or the name of an
/// uploaded predictions file). Raters never see <see cref="System1"/> or <see cref="System2"/>.
/// </summary>
public sealed record RatingStudy(int Id, string Name, string Dataset, int DatasetVersion, string System1, string System2,
    IReadOnlyList<StudyItem> Items, DateTime CreatedUtc)
{
    public string SystemName(int system) => system == 1 ? System1 : system == 2 ? System2 : throw new ArgumentOutOfRangeException(nameof(system));
}
