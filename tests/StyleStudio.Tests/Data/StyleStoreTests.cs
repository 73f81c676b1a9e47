using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Data;

public abstract class StyleStoreTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("styles-").FullName;
    readonly IStoreBackend backend;
    readonly DataStore store;

    protected StyleStoreTests(IStoreBackend backend)
    {
        this.backend = backend;
        store = backend.Open(folder);
    }

    public void Dispose()
    {
        store.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void A_style_keeps_its_phrasing_label_presets_and_adapter_across_a_reopen()
    {
        var created = store.Styles.Create(" 古风 ", "classical Chinese", "改写成古风：", "pairs", null, new StylePresets(0.3, 0.8, 64, 1.5));
        Assert.Equal("古风", created.Name);
        Assert.Equal("古风", created.Label);   // the label defaults to the name
        store.Styles.SetAdapter(created.Id, "run-4");
        store.Dispose();
        using var reopened = backend.Open(folder);
        var style = reopened.Styles.Find("古风")!;
        Assert.Equal(("classical Chinese", "改写成古风：", "pairs", "run-4"), (style.Description, style.Instruction, style.Dataset, style.Adapter));
        Assert.Equal(new StylePresets(0.3, 0.8, 64, 1.5), style.Presets);
    }

    [Theory]
    [InlineData("", "give the style a name")]
    [InlineData("run-2", "looks like a model id")]
    [InlineData("qwen2:lora", "looks like a model id")]
    [InlineData("古风", "a style called '古风' already exists")]
    public void A_name_that_is_empty_taken_or_shaped_like_a_model_id_is_refused(string name, string reason)
    {
        store.Styles.Create("古风", "", "", null, null);
        var error = Assert.Throws<ArgumentException>(() => store.Styles.Create(name, "", "", null, null));
        Assert.Contains(reason, error.Message);
        Assert.Single(store.Styles.All());
    }

    [Fact]
    public void Renaming_a_style_to_its_own_name_is_allowed_and_to_another_style_s_is_not()
    {
        var first = store.Styles.Create("古风", "", "", null, null);
        store.Styles.Create("口语", "", "", null, null);
        store.Styles.Update(first.Id, "古风", "now described", "", null, null, new StylePresets());
        Assert.Throws<ArgumentException>(() => store.Styles.Update(first.Id, "口语", "", "", null, null, new StylePresets()));
        Assert.Equal("now described", store.Styles.Get(first.Id).Description);
    }

    [Fact]
    public void Training_rows_of_a_style_take_its_phrasing_where_they_have_no_instruction()
    {
        var styles = new[] { store.Styles.Create("口语", "", "formal:", null, null), store.Styles.Create("古风", "", "改写成古风：", null, null) };
        DatasetRow[] rows =
        [
            new() { Instruction = "", Input = "Good morning.", Output = "morning!", Style = "口语" },
            new() { Instruction = "请改写：", Input = "我很想念朋友。", Output = "吾甚念故人。", Style = "古风" },
            new() { Instruction = "", Input = "no style", Output = "x" },
        ];
        var casual = StyleRows.ForTraining(rows, "口语", styles).ToList();
        Assert.Equal("formal:\nGood morning.", Assert.Single(casual).Query);
        var all = StyleRows.ForTraining(rows, null, styles).Select(r => r.Query).ToList();
        Assert.Equal(["formal:\nGood morning.", "请改写：\n我很想念朋友。", "no style"], all);
    }
}

public sealed class StyleStoreTestsOnLiteDb() : StyleStoreTests(new LiteDbBackend());

public sealed class StyleStoreTestsOnPostgres(PostgresTestDatabase database) : StyleStoreTests(database.Backend()), IClassFixture<PostgresTestDatabase>;
