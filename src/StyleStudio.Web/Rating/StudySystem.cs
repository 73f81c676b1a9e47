namespace StyleStudio.Web.Rating;

/// <summary>Where a study's system gets its outputs: a model the studio serves, or an uploaded predictions file.</summary>
public abstract record StudySystem
{
    /// <summary>The name results and export show (raters never see it).</summary>
    public abstract string Name { get; }
}

/// <summary>A model id as the serving engine takes it (a base folder name, <c>run-N</c> or <c>BASE:ADAPTER</c>), run greedily
/// with the template it was trained with.</summary>
public sealed record ModelSystem(string ModelId, int MaxNewTokens = 128) : StudySystem
{
    public override string Name => ModelId;
}

/// <summary>Outputs from a file, one line per study item in the dataset's order.</summary>
public sealed record PredictionsSystem(string FileName, IReadOnlyList<string> Lines) : StudySystem
{
    public override string Name => FileName;
}
