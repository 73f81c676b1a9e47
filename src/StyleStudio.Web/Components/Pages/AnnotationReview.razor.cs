using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.Localization;
using MudBlazor;
using StyleStudio.Data.Annotation;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Annotation;
using StyleStudio.Web.Localization;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// The reviewer's page: the first item waiting for review (both annotators' texts and their chrF for an item written
/// twice), accepted or rejected from the keyboard; agreement over the sample; and publishing accepted pairs. It follows
/// annotators live: an item appears the moment it is submitted.
/// </summary>
public partial class AnnotationReview : IDisposable
{
    [Inject] AnnotationQueues Queues { get; set; } = null!;
    [Inject] AnnotationEvents Events { get; set; } = null!;
    [Inject] NavigationManager Navigation { get; set; } = null!;
    [Inject] IStringLocalizer<AnnotationReview> L { get; set; } = null!;

    /// <summary>The project under review.</summary>
    [Parameter] public int ProjectId { get; set; }

    /// <summary>Who reviews (kept with each verdict); null until they have given their name.</summary>
    [SupplyParameterFromQuery(Name = "as")] public string? As { get; set; }

    AnnotationProject? project;
    string? reviewer;
    AnnotationItem? current;
    AnnotationProgress progress = new(0, 0, 0, 0, 0, 0, 0, 0, 0);
    AgreementReport agreement = new(0, [], null, null);
    IReadOnlyList<AnnotationItem> reviewed = [];
    (DatasetSummary Dataset, int Pairs)? published;
    string reviewerName = "", comment = "";
    string? error;
    bool rejecting, focusItem, focusComment;
    ElementReference keyArea;
    MudTextField<string>? commentField;
    IDisposable? subscription;

    protected override void OnParametersSet()
    {
        error = null;
        try
        {
            project = Queues.Get(ProjectId);
        }
        catch (ArgumentException e)
        {
            (project, error) = (null, e.Message);
            return;
        }
        reviewer = string.IsNullOrWhiteSpace(As) ? null : As.Trim();
        Load();
        subscription ??= Events.Subscribe(u => { if (u.ProjectId == ProjectId) InvokeAsync(() => { Load(); StateHasChanged(); }); });
    }

    /// <summary>Reads the project again; the item on screen stays while it still waits (a reviewer mid-comment keeps it).</summary>
    void Load()
    {
        var items = Queues.Items(ProjectId);
        progress = AnnotationProgress.Of(project!, items);
        agreement = AnnotationAgreement.Of(items);
        reviewed = items.Where(i => i.Review is not null).ToList();
        var queue = items.Where(i => i.AwaitsReview(project!.Annotators.Count)).ToList();
        var next = queue.FirstOrDefault(i => i.Index == current?.Index) ?? queue.FirstOrDefault();
        if (next?.Index != current?.Index) (rejecting, comment, focusItem) = (false, "", true);
        current = reviewer is null ? null : next;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (focusComment && commentField is not null)
        {
            focusComment = false;
            await commentField.FocusAsync();
        }
        else if (focusItem && current is not null)
        {
            focusItem = false;
            await keyArea.FocusAsync();
        }
    }

    void Start() => Navigation.NavigateTo($"annotate/{ProjectId}/review?as={Uri.EscapeDataString(reviewerName.Trim())}");

    void NameKey(KeyboardEventArgs e)
    {
        if (e.Key == "Enter" && !string.IsNullOrWhiteSpace(reviewerName)) Start();
    }

    void Key(KeyboardEventArgs e)
    {
        if (current is null || rejecting || e.CtrlKey || e.AltKey || e.MetaKey) return;
        switch (e.Key)
        {
            case "1" or "2" when current.Submissions.Count >= int.Parse(e.Key):
                Accept(current.Submissions[int.Parse(e.Key) - 1].Annotator);
                break;
            case "a" or "A" when current.Submissions.Count > 0:
                Accept(current.Submissions[0].Annotator);
                break;
            case "r" or "R":
                StartReject();
                break;
        }
    }

    void Accept(string annotator) => Try(() => Queues.Accept(ProjectId, current!.Index, reviewer!, annotator));

    void StartReject() => (rejecting, focusComment) = (true, true);

    void ConfirmReject() => Try(() => Queues.Reject(ProjectId, current!.Index, reviewer!, comment));

    void CommentKey(KeyboardEventArgs e)
    {
        if (e.Key == "Enter") ConfirmReject();
        else if (e.Key == "Escape") (rejecting, focusItem) = (false, true);
    }

    void Try(Action review)
    {
        if (current is null || reviewer is null) return;
        error = null;
        try
        {
            review();
            current = null;   // the next waiting item comes up (the event reloads too; this page must not wait for it)
            Load();
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }
    }

    void Publish()
    {
        error = null;
        try
        {
            published = Queues.Publish(ProjectId, reviewer ?? "");
            Load();
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }
    }

    public void Dispose() => subscription?.Dispose();
}
