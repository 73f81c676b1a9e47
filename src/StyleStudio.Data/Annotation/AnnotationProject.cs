namespace StyleStudio.Data.Annotation;

/// <summary>
/// An annotation project: people write the target-style version of source texts (or edit a draft of it), a reviewer
/// accepts or rejects what they wrote, and accepted pairs become a version of <see cref="TargetDataset"/>.
/// </summary>
/// <param name="Name">Unique; shown on the project list.</param>
/// <param name="StyleLabel">The style the annotators write in ("古风", "casual"); the published rows' style field.</param>
/// <param name="Instruction">The published rows' instruction ("将下文改写为古风："); annotators see it too.</param>
/// <param name="Guidelines">What annotators should keep in mind (names unchanged, one sentence per line); may be empty.</param>
/// <param name="Annotators">The people who may take items, by the names they pick on the annotation page.</param>
/// <param name="AgreementShare">The fraction of items (0–1) that two annotators write, to measure their agreement.</param>
/// <param name="Seed">Chooses which items are in the agreement sample, so the same project gets the same sample.</param>
/// <param name="SourceDescription">Where the source texts came from ("corpus news", "dataset pairs v3 inputs", "pasted").</param>
/// <param name="Items">How many source texts the project holds.</param>
public sealed record AnnotationProject(int Id, string Name, string StyleLabel, string Instruction, string Guidelines,
    IReadOnlyList<string> Annotators, double AgreementShare, int Seed, string TargetDataset, string SourceDescription,
    int Items, DateTime CreatedUtc);

/// <summary>What a new project is made of, apart from its texts (see <see cref="AnnotationProject"/> for each field).</summary>
public sealed record AnnotationProjectSpec(string Name, string StyleLabel, string Instruction, string Guidelines,
    IReadOnlyList<string> Annotators, double AgreementShare, int Seed, string TargetDataset, string SourceDescription);

/// <summary>One text to annotate, with the draft annotators start from (a dataset's output, a model's rewrite), if any.</summary>
public sealed record AnnotationSource(string Text, string? Draft = null);
