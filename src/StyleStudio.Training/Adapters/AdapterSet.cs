using StyleStudio.Training.Models;

namespace StyleStudio.Training.Adapters;

/// <summary>
/// Several named adapters kept on one base model, one of them (or none) active at a time: switching re-points the
/// wrapped projections and never reloads the base — what a playground comparing styles, or a server answering for
/// several fine-tunes, needs. The model's parameters show the active adapter only, so saving and training see one.
/// </summary>
public sealed class AdapterSet(CausalLM model) : IDisposable
{
    readonly Dictionary<string, IReadOnlyList<AdapterAttachment>> sets = [];

    /// <summary>The adapter forward runs through, or null for the base model alone.</summary>
    public string? Active { get; private set; }

    public IReadOnlyCollection<string> Names => sets.Keys;

    /// <summary>Loads a PEFT adapter folder under <paramref name="name"/>; the active adapter stays active.</summary>
    public void Load(string name, string folder)
    {
        if (sets.ContainsKey(name)) throw new ArgumentException($"an adapter named '{name}' is already loaded", nameof(name));
        string? previous = Active;
        Activate(null);
        try
        {
            PeftAdapter.Load(model, folder);
            sets[name] = LoraInjector.Attachments(model);
        }
        finally
        {
            foreach (var attachment in LoraInjector.Attachments(model)) attachment.Host.Unwrap(attachment.Projection);
            Activate(previous);
        }
    }

    /// <summary>Makes <paramref name="name"/> the adapter forward runs through; null returns to the base model.</summary>
    public void Activate(string? name)
    {
        if (name is not null && !sets.ContainsKey(name))
            throw new ArgumentException($"no adapter named '{name}'; loaded: {string.Join(", ", sets.Keys)}", nameof(name));
        if (Active is not null)
            foreach (var attachment in sets[Active])
            {
                attachment.Adapter.Unmerge();
                attachment.Host.Unwrap(attachment.Projection);
            }
        Active = name;
        if (name is not null)
            foreach (var attachment in sets[name]) attachment.Host.Wrap(attachment.Projection, attachment.Adapter);
    }

    /// <summary>Unloads <paramref name="name"/>, returning to the base model if it was active.</summary>
    public void Remove(string name)
    {
        if (!sets.TryGetValue(name, out var attachments)) return;
        if (Active == name) Activate(null);
        foreach (var attachment in attachments) attachment.Adapter.ReleaseWeights();
        sets.Remove(name);
    }

    public void Dispose()
    {
        foreach (var name in sets.Keys.ToList()) Remove(name);
    }
}
