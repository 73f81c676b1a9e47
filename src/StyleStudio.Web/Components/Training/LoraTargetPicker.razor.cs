using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Training.Adapters;

namespace StyleStudio.Web.Components.Training;

/// <summary>Picks the projections LoRA wraps; the choice is the <c>lora_target</c> setting ("all", or names joined by commas).</summary>
public partial class LoraTargetPicker
{
    [Inject] IStringLocalizer<LoraTargetPicker> L { get; set; } = null!;

    /// <summary>The projections the chosen model has (see <see cref="LoraTargets.Of(string)"/>). Defaults to none.</summary>
    [Parameter] public IReadOnlyList<TargetModule> Targets { get; set; } = [];

    /// <summary>The <c>lora_target</c> value. Defaults to "all".</summary>
    [Parameter] public string Value { get; set; } = LoraTargets.All;

    /// <summary>Called with the new <c>lora_target</c> value.</summary>
    [Parameter] public EventCallback<string> ValueChanged { get; set; }

    /// <summary>Whether the method trains no adapters. Defaults to false.</summary>
    [Parameter] public bool Disabled { get; set; }

    IReadOnlySet<string> Chosen => LoraTargets.Selected(Value, Targets).Select(t => t.Name).ToHashSet();

    bool AllChosen => Targets.Count > 0 && Chosen.Count == Targets.Count;

    Task ChooseAll(bool on) => ValueChanged.InvokeAsync(on ? LoraTargets.All : "");

    Task Toggle(string name, bool on)
    {
        var chosen = Chosen.ToHashSet();
        if (on) chosen.Add(name);
        else chosen.Remove(name);
        return ValueChanged.InvokeAsync(LoraTargets.Setting(chosen, Targets));
    }
}
