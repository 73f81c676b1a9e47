using StyleStudio.Data.Storage;

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
    IReadOnlyList<string> Annotators, double AgreementShare, int Seed, string TargetDataset, string SourceDescription)
{
    /// <summary>This spec with names and texts trimmed, or an <see cref="ArgumentException"/> naming the wrong field or text.</summary>
    public AnnotationProjectSpec Checked(IReadOnlyList<AnnotationSource> sources)
    {
        var spec = this;
        string name = spec.Name.Trim();
        if (name.Length == 0) throw new ArgumentException("the project needs a name");
        if (spec.Instruction.Trim().Length == 0) throw new ArgumentException("the project needs an instruction (the pairs' instruction, e.g. 将下文改写为古风：)");
        var annotators = spec.Annotators.Select(a => a.Trim()).Where(a => a.Length > 0).ToList();
        if (annotators.Count == 0) throw new ArgumentException("the project needs at least one annotator");
        if (annotators.GroupBy(a => a).FirstOrDefault(g => g.Count() > 1) is { } twice) throw new ArgumentException($"annotator '{twice.Key}' is listed twice");
        if (spec.AgreementShare is < 0 or > 1 || double.IsNaN(spec.AgreementShare))
            throw new ArgumentException($"the agreement share is a fraction from 0 to 1, not {spec.AgreementShare}");
        if (spec.AgreementShare > 0 && annotators.Count < 2)
            throw new ArgumentException("items written twice for agreement need two different annotators; name a second one or set the share to 0");
        DatasetNames.Check(spec.TargetDataset.Trim());
        if (sources.Count == 0) throw new ArgumentException("the project has no source texts");
        if (sources.Count > AnnotationStore.MaxItems) throw new ArgumentException($"{sources.Count:N0} source texts: a project holds at most {AnnotationStore.MaxItems:N0}");
        int empty = sources.ToList().FindIndex(s => string.IsNullOrWhiteSpace(s.Text));
        if (empty >= 0) throw new ArgumentException($"source text {empty + 1} is empty");
        return spec with { Name = name, StyleLabel = spec.StyleLabel.Trim(), Instruction = spec.Instruction.Trim(), Guidelines = spec.Guidelines.Trim(),
                           Annotators = annotators, TargetDataset = spec.TargetDataset.Trim() };
    }
}

/// <summary>One text to annotate, with the draft annotators start from (a dataset's output, a model's rewrite), if any.</summary>
public sealed record AnnotationSource(string Text, string? Draft = null);
