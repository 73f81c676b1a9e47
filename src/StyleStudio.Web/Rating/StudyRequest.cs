namespace StyleStudio.Web.Rating;

/// <summary>What a new study is made of: the first <paramref name="Rows"/> rows of <paramref name="Dataset"/>'s current
/// version (choose the held-out set `data split` made, NAME.validation) and the two systems to compare.</summary>
public sealed record StudyRequest(string Name, string Dataset, int Rows, StudySystem System1, StudySystem System2);
