namespace StyleStudio.Web.Annotation;

/// <summary>Where a project's source texts come from.</summary>
public enum AnnotationSourceKind
{
    /// <summary>A corpus's texts (unpaired texts of the source style).</summary>
    Corpus,
    /// <summary>A dataset's inputs; its outputs may be the drafts annotators edit.</summary>
    Dataset,
    /// <summary>Lines typed or pasted on the page; a tab separates a line's source text from a draft.</summary>
    Pasted,
}

/// <summary>What the new-project form asks for.</summary>
public sealed class AnnotationRequest
{
    public string Name { get; set; } = "";
    /// <summary>The style annotators write in; the published rows' style label.</summary>
    public string StyleLabel { get; set; } = "";
    /// <summary>The published rows' instruction; when empty, the instruction of the style named <see cref="StyleLabel"/>.</summary>
    public string Instruction { get; set; } = "";
    public string Guidelines { get; set; } = "";
    /// <summary>Names separated by commas or new lines.</summary>
    public string Annotators { get; set; } = "";
    /// <summary>Percent of items two annotators write. Defaults to 10.</summary>
    public double AgreementPercent { get; set; } = 10;
    /// <summary>Chooses the agreement sample. Defaults to 17.</summary>
    public int Seed { get; set; } = 17;
    /// <summary>The dataset accepted pairs go to (made when absent).</summary>
    public string TargetDataset { get; set; } = "";
    public AnnotationSourceKind SourceKind { get; set; } = AnnotationSourceKind.Corpus;
    public string? Corpus { get; set; }
    public string? Dataset { get; set; }
    /// <summary>With <see cref="AnnotationSourceKind.Dataset"/>: start each item from the row's output. Defaults to false.</summary>
    public bool DraftsFromOutputs { get; set; }
    public string Pasted { get; set; } = "";
    /// <summary>A model the studio serves that writes each item's draft (greedily, prompted with the instruction and the
    /// source text), replacing drafts from the source; none when null.</summary>
    public string? DraftModel { get; set; }
    /// <summary>The longest draft the model may write, in tokens. Defaults to 128.</summary>
    public int DraftMaxNewTokens { get; set; } = 128;
    /// <summary>Deal every item to the annotators in turn when the project is made, rather than each taking the next free
    /// item when they ask. Defaults to false.</summary>
    public bool DealRoundRobin { get; set; }
    /// <summary>Take only the first this many texts; all when null.</summary>
    public int? Limit { get; set; }

    public IReadOnlyList<string> AnnotatorNames() =>
        Annotators.Split([',', '，', '\n', '\r'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
