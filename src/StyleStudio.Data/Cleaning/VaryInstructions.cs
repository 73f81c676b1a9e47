using StyleStudio.Data.Model;

namespace StyleStudio.Data.Cleaning;

/// <summary>
/// Instruction augmentation: replaces each row's instruction with a phrasing drawn (seeded) from a curated list for its
/// style, so the model learns the style rather than one fixed wording; rows without an instruction (pure input → output
/// pairs) get one. Rows whose style has no list keep theirs. As a cleaning step it makes a version, so it can be undone.
/// </summary>
public sealed class VaryInstructions(int seed, IReadOnlyDictionary<string, IReadOnlyList<string>>? phrasings = null) : CleaningStep
{
    readonly Random random = new(seed);
    readonly IReadOnlyDictionary<string, IReadOnlyList<string>> custom = phrasings ?? new Dictionary<string, IReadOnlyList<string>>();

    public override string Name => $"vary instructions (seed {seed})";

    protected override DatasetRow? Transform(DatasetRow row)
    {
        if (row.Style is null) return row;
        var list = custom.TryGetValue(row.Style, out var given) ? given : CuratedPhrasings.For(row.Style);
        return list is null ? row : row with { Instruction = list[random.Next(list.Count)] };
    }
}

/// <summary>Hand-written instruction wordings for the styles the studio ships samples for, matched by the style label.</summary>
public static class CuratedPhrasings
{
    static readonly string[] Classical =
    [
        "把这句话改写成古风。", "请用文言文改写下面的句子。", "将下文译为古雅的文言。", "用古人的口吻重写这段话。",
        "请把这段白话改成古风文字。", "以文言的笔法改写：", "请将这句现代汉语改写为古文。", "把下面的话写得古色古香一些。",
        "试以古文重述此句。", "请用典雅的古风语言表达下面的意思。",
    ];

    static readonly string[] SocialMedia =
    [
        "把这段公文改写成轻松的社交媒体语气。", "用发朋友圈的口吻重写下面这段话。", "请把这则通知改得活泼一点，适合发微博。",
        "把官方腔调换成接地气的说法。", "用年轻人爱看的语气改写这段话。", "请把下面的公文腔改成轻松口语。",
        "改写成适合小红书的轻松风格。", "把这段话说得亲切随意一些。", "去掉官腔，用聊天的语气重写。", "请用社交平台上的轻松语气转述：",
    ];

    static readonly string[] CasualEnglish =
    [
        "Rewrite this in a casual tone.", "Make this sound relaxed and friendly.", "Say this the way you'd text a friend.",
        "Turn this formal sentence into everyday English.", "Rewrite casually:", "Make it less stiff.",
        "How would you say this informally?", "Loosen up the wording of this sentence.", "Rephrase this in plain, chatty English.",
        "Give me a laid-back version of this.",
    ];

    static readonly string[] FormalEnglish =
    [
        "Rewrite this in a formal register.", "Make this sentence suitable for a business letter.", "Rephrase this formally.",
        "Turn this casual remark into polished, professional English.", "Express this in formal written English.",
        "Rewrite this as it would appear in an official notice.", "Make the wording more formal and precise.",
        "Render this in a courteous, formal tone.", "How would this read in a formal report?", "Rewrite formally:",
    ];

    /// <summary>The list for a style label, or null when none fits.</summary>
    public static IReadOnlyList<string>? For(string style)
    {
        string label = style.ToLowerInvariant();
        if (label.Contains('古') || label.Contains("文言") || label.Contains("classical")) return Classical;
        if (label.Contains("社交") || label.Contains("social") || label.Contains("轻松") || label.Contains("朋友圈")) return SocialMedia;
        if (label.Contains("casual") || label.Contains("informal")) return CasualEnglish;
        if (label.Contains("formal")) return FormalEnglish;
        return null;
    }
}
