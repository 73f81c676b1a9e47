using System.Text.Json;
using System.Text.Json.Nodes;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Models;

namespace StyleStudio.Tests.Models;

/// <summary>
/// GLM's config spellings: transformers 5 writes rope_theta and partial_rotary_factor inside rope_parameters (and, for
/// GLM, partial_rotary_factor at the top level too); transformers 4 and the released glm-4-9b-chat-hf write both at the
/// top level. Either gives the same rotary layout; absent ones take GLM's defaults (half the head, q/k/v biases).
/// </summary>
public class GlmConfigTests
{
    static ModelConfig Parse(Action<JsonObject> edit)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.Model("glm4"), "config.json")))!.AsObject();
        edit(config);
        using var document = JsonDocument.Parse(config.ToJsonString());
        return ModelConfig.Parse("config.json", document.RootElement);
    }

    [Fact]
    public void Both_layouts_give_the_same_partial_interleaved_rotary()
    {
        var saved = Parse(_ => { });
        Assert.Equal((24, 12, true, true, true, true), (saved.HeadDim, saved.RotaryDim, saved.RotaryInterleaved, saved.FusedGateUp, saved.QkvBias, saved.SublayerOutputNorms));
        Assert.False(saved.OutputBias);

        var topLevelOnly = Parse(c => c.Remove("rope_parameters"));
        var nestedOnly = Parse(c => { c.Remove("partial_rotary_factor"); c.Remove("rope_theta"); });
        Assert.Equal((saved.RotaryDim, saved.Rope), (topLevelOnly.RotaryDim, topLevelOnly.Rope));
        Assert.Equal((saved.RotaryDim, saved.Rope), (nestedOnly.RotaryDim, nestedOnly.Rope));
    }

    [Fact]
    public void Defaults_are_glms_and_a_bad_factor_names_the_field()
    {
        var defaults = Parse(c => { c.Remove("partial_rotary_factor"); c["rope_parameters"]!.AsObject().Remove("partial_rotary_factor"); c.Remove("attention_bias"); });
        Assert.Equal((12, true), (defaults.RotaryDim, defaults.QkvBias));

        var quarter = Parse(c => { c["partial_rotary_factor"] = 0.25; c["rope_parameters"]!.AsObject().Remove("partial_rotary_factor"); });
        Assert.Equal(6, quarter.RotaryDim);

        var odd = Assert.Throws<StyleStudio.Training.Checkpoints.ModelLoadException>(() => Parse(c => c["partial_rotary_factor"] = 0.125));
        Assert.Equal("partial_rotary_factor", odd.Item);
    }
}
