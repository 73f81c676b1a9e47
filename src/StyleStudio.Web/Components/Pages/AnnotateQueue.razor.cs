using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.Localization;
using Microsoft.JSInterop;
using MudBlazor;
using StyleStudio.Data.Annotation;
using StyleStudio.Web.Annotation;
using StyleStudio.Web.Localization;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// One annotator working through a project from the keyboard: who they are lives in the address (?as=), so two people
/// work side by side in two tabs and a reload continues where they were. Focus lands in the text box; Ctrl+Enter submits
/// and shows the next item, Ctrl+S skips, Ctrl+Shift+F flags (the reason, then Enter). <see cref="AnnotationQueues"/>
/// decides which item comes next.
/// </summary>
public partial class AnnotateQueue : IAsyncDisposable
{
    [Inject] AnnotationQueues Queues { get; set; } = null!;
    [Inject] AnnotationEvents Events { get; set; } = null!;
    [Inject] IJSRuntime JS { get; set; } = null!;
    [Inject] IStringLocalizer<AnnotateQueue> L { get; set; } = null!;

    /// <summary>The project being annotated.</summary>
    [Parameter] public int ProjectId { get; set; }

    /// <summary>Who is annotating: one of the project's annotators; null (or another name) shows the choice.</summary>
    [SupplyParameterFromQuery(Name = "as")] public string? As { get; set; }

    public static string Link(int projectId, string annotator) => $"annotate/{projectId}?as={Uri.EscapeDataString(annotator)}";

    AnnotationProject? project;
    string? annotator;
    AnnotationItem? item;
    AnnotationProgress progress = new(0, 0, 0, 0, 0, 0, 0, 0, 0);
    int written;
    string text = "", reason = "";
    string? error;
    bool flagging, focusText, focusReason, attaching;
    ElementReference area, textArea;
    MudTextField<string>? reasonField;
    IJSObjectReference? module, keys;
    DotNetObjectReference<AnnotateQueue>? self;
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
        annotator = project.Annotators.FirstOrDefault(a => a == As?.Trim());
        if (annotator is null) return;
        Show(Queues.Next(ProjectId, annotator));
        // Others' work moves the project's progress; this annotator's item stays as it is.
        subscription ??= Events.Subscribe(u => { if (u.ProjectId == ProjectId) InvokeAsync(() => { Count(); StateHasChanged(); }); });
    }

    void Show(AnnotationItem? next)
    {
        item = next;
        text = next?.SubmissionOf(annotator!)?.Text ?? next?.Draft ?? "";
        (flagging, reason, focusText) = (false, "", true);
        Count();
    }

    void Count()
    {
        progress = Queues.Progress(ProjectId);
        written = annotator is null ? 0 : Queues.WrittenBy(ProjectId, annotator);
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (item is null)
        {
            // The item's area is gone, and with it the element the listener was on.
            await DetachKeysAsync();
            return;
        }
        // The listener sits on the item's area, which stays while items change; it is attached once it exists.
        // Renders can follow each other while this awaits: the flag keeps a second listener (a second submission) off.
        if (keys is null && !attaching)
        {
            attaching = true;
            try
            {
                self ??= DotNetObjectReference.Create(this);
                module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./Components/Pages/AnnotateQueue.razor.js");
                keys = await module.InvokeAsync<IJSObjectReference>("listen", area, self);
            }
            finally
            {
                attaching = false;
            }
        }
        if (focusReason && reasonField is not null)
        {
            focusReason = false;
            await reasonField.FocusAsync();
        }
        else if (focusText)
        {
            focusText = false;
            await textArea.FocusAsync();
        }
    }

    void Typed(int index, ChangeEventArgs e)
    {
        if (index == item?.Index) text = e.Value as string ?? "";
    }

    [JSInvokable] public void SubmitFromKeyboard(string typed) => Act(() => { text = typed; Submit(); });

    [JSInvokable] public void SkipFromKeyboard() => Act(Skip);

    [JSInvokable] public void FlagFromKeyboard(string typed) => Act(() => { text = typed; StartFlag(); });

    /// <summary>A key's action, rendered (JS-invoked methods are not event handlers, so Blazor does not re-render by itself).</summary>
    void Act(Action action)
    {
        action();
        StateHasChanged();
    }

    void Submit() => Try(() => Queues.Submit(ProjectId, item!.Index, annotator!, text));

    void Skip() => Try(() => Queues.Skip(ProjectId, item!.Index, annotator!));

    void StartFlag() => (flagging, focusReason) = (true, true);

    void CancelFlag() => (flagging, focusText) = (false, true);

    void ConfirmFlag() => Try(() => Queues.Flag(ProjectId, item!.Index, annotator!, reason));

    void ReasonKey(KeyboardEventArgs e)
    {
        if (e.Key == "Enter") ConfirmFlag();
        else if (e.Key == "Escape") CancelFlag();
    }

    /// <summary>Saves, then shows the next item; on a refusal the item stays with what was typed, and the reason shows.</summary>
    void Try(Action save)
    {
        if (item is null || annotator is null) return;
        error = null;
        try
        {
            save();
            Show(Queues.Next(ProjectId, annotator));
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }
    }

    /// <summary>Removes the key listener; the field is cleared first, so a render that overlaps this one finds nothing to remove.</summary>
    async Task DetachKeysAsync()
    {
        if (keys is not { } listener) return;
        keys = null;
        await listener.InvokeVoidAsync("dispose");
        await listener.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        subscription?.Dispose();
        try
        {
            await DetachKeysAsync();
            if (module is not null) await module.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The tab is gone, and its listener with it.
        }
        self?.Dispose();
    }
}
