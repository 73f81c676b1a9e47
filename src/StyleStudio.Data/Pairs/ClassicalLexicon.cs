namespace StyleStudio.Data.Pairs;

/// <summary>
/// Words of modern Chinese (白话) and their usual classical (文言) counterparts, grouped by meaning: 朋友 · 友 · 故人, 快 · 疾 · 速.
/// Mining pairs across 现代文 and 古文 needs them because the two sides often share no character at all (他跑得很快 ·
/// 其行甚疾). The groups are the textbook correspondences (常用文言实词、虚词); no served package offers them, so they are
/// written here. A group is matched by forward maximum matching; each match adds a concept feature, and a word in
/// several groups (走 walks and runs) adds them all.
/// </summary>
static class ClassicalLexicon
{
    static readonly string[] Groups =
    [
        "我 吾 余 予 朕 某", "我们 吾等 吾辈 我辈 吾侪", "你 您 汝 尔 君 子 卿 足下", "你们 汝等 尔等 诸君", "他 她 彼 伊", "他们 她们 彼等",
        "这 这个 这里 此 斯 兹", "那 那个 那里 彼处", "这样 如此 若此 如是", "什么 何 奚 曷 何物", "为什么 何故 何以 奚为", "怎么 怎样 如何 何如 奈何",
        "哪里 何处 安 焉", "谁 孰 何人", "的 之", "很 甚 颇 极 殊", "非常 十分 极其 甚 极", "太 过 甚", "最 最为 至", "都 皆 俱 咸 悉 尽 均",
        "也 亦", "还 犹 尚", "又 再 复", "已经 已 既", "就 便 即 遂", "才 方 始", "只 只是 仅 唯 惟 但", "一起 共 同 偕", "一直 始终 终",
        "说 曰 谓 言 云 道", "告诉 告 语", "问 询 问道", "回答 答 对", "话 言 语 辞", "不 弗 不曾", "不要 别 勿 毋 莫", "没有 无 未 毋", "没 未",
        "是 乃 为 系", "在 于 於", "从 自 由", "到 至 抵 达 及", "去 往 赴 适", "回 回来 归 还 返", "来 至 来到", "进 进入 入", "出 出去 出来",
        "给 予 与 赐", "和 跟 与 及 同", "可以 能够 可 得 能", "要 想要 欲 将", "应该 应当 当 宜 应", "必须 一定 必 须 务必",
        "可能 也许 或许 或 恐 殆", "如果 要是 假如 若 如 倘 苟", "虽然 尽管 虽", "但是 可是 然而 然 而 但", "所以 因此 故 是以",
        "因为 由于 因 以 盖", "大家 众人 诸位 诸君", "自己 己 自 躬", "别人 他人 人", "现在 如今 今 今日", "以前 从前 过去 昔 往昔 昔日 曩",
        "今天 今日", "明天 明日 翌日", "昨天 昨日", "早上 早晨 清晨 晨 旦 朝 平旦", "晚上 夜晚 夜 夕 夜里 暮", "时候 时间 时 之时",
        "很久 好久 久 良久 许久", "一会儿 片刻 须臾 少顷", "年 岁 载", "天 日", "月亮 月", "太阳 日", "朋友 友 故人 友人", "老师 师 先生 夫子",
        "学生 弟子 生 门人", "父亲 爸爸 父 家父", "母亲 妈妈 母 家母", "孩子 儿子 子 儿 童", "妻子 妻 内人 夫人", "丈夫 夫 良人", "兄弟 哥哥 兄 弟",
        "皇帝 帝 王 君 天子 圣上", "大臣 官员 臣 官 吏", "百姓 人民 民 黎民 庶民", "国家 国 邦", "城市 城 都 邑 城池", "家乡 故乡 故里 乡里",
        "家 家里 家中 宅 舍", "房子 屋子 屋 室 舍 宅", "东西 物 物品", "事情 事", "钱 钱财 财 金 银 资", "衣服 衣 衣裳 裳 服", "书 书籍 典籍 卷",
        "信 书信 书 函", "眼睛 目 眼", "头 首 头颅", "脚 足", "手 手掌", "嘴 口", "脸 面 颜 容", "身体 身 躯 体", "心 心里 心中 内心 怀",
        "河 江 水 川 溪", "山 山岭 岭 峰 岳", "路 道路 道 途 径", "树 树木 木 林", "花 花朵 华 英", "草 青草 芳草", "鸟 禽 飞鸟", "马 骏马 驹",
        "狗 犬", "风 清风 风儿", "雨 雨水 霖", "雪 白雪", "天气 天色 气候", "春天 春", "夏天 夏", "秋天 秋", "冬天 冬", "酒 美酒 醴 酿",
        "饭 食 食物 餐", "吃 食 餐 啖 饮", "喝 饮", "看 看见 视 观 望 见 睹 览", "看到 见到 见 睹", "听 听见 听到 闻", "想 想要 思 念 欲 怀", "想念 思念 念 怀 思",
        "知道 明白 知 晓 悉", "认识 识 知", "忘记 忘 忘却", "记得 记 忆 识", "觉得 认为 以为 谓", "喜欢 爱 好 喜 爱慕 悦", "讨厌 厌 恶 憎",
        "高兴 开心 快乐 喜 悦 乐 欣", "难过 伤心 悲伤 悲 哀 戚 伤 愁", "生气 发怒 愤怒 怒 愠 恚", "害怕 怕 恐惧 惧 畏 恐 惊", "担心 担忧 忧 虑 忧虑",
        "累 疲倦 疲惫 疲 倦 乏", "饿 饥饿 饥 馁", "冷 寒冷 寒 凉", "热 炎热 暑 炎 热", "病 生病 疾 病 恙", "死 去世 死去 卒 亡 殁 逝 薨",
        "睡觉 睡 寝 眠 卧 入睡", "休息 歇息 息 憩 歇", "走 走路 行 步", "跑 奔跑 奔 走 驰 趋", "站 站立 立", "坐 坐下 坐", "住 居住 居 寓",
        "等 等待 等候 候 待 俟", "帮助 帮 助 帮忙 相助", "离开 离 去 别", "开始 起初 始 初", "结束 完成 完 毕 终 竟 成", "写 写作 书 作 著",
        "读 阅读 读 诵", "哭 哭泣 泣 哭 啼", "笑 欢笑 笑 哂", "遇到 遇见 碰到 遇 逢 值", "送 赠送 赠 送 馈", "拿 取 持 执 携", "找 寻找 寻 觅 求",
        "打 击 攻", "杀 诛 戮", "买 购 市", "卖 售 鬻", "美丽 漂亮 美 丽 佳 秀 姣", "好 好的 善 佳 良 好", "坏 恶 劣 不善", "对 对的 是 然",
        "错 错误 误 非 过", "容易 易", "困难 难 艰", "远 遥远 远 遥 迢", "近 附近 近 迩", "大 巨大 大 巨", "小 细小 小 微", "多 很多 许多 众多 多 众 繁 甚众",
        "少 很少 少 寡 鲜", "长 长久 长 久", "高 崇 高", "老 年老 老 耆 迈", "年轻 少 少年 幼", "古老 古 古旧", "新 崭新 新", "快 迅速 快速 疾 速 迅 捷",
        "慢 缓慢 缓 徐 迟", "早 早早 早 夙", "晚 迟 晚 暮", "安静 宁静 静 寂 谧", "聪明 智慧 智 慧 聪 敏", "愚蠢 笨 愚 拙", "勇敢 勇 敢",
        "每 每个 每人 每日 各", "一切 所有 凡 诸事 万事 皆", "一些 若干 数 几", "两 二 两个", "一个 一", "一定 必定 必 定 必然",
        "竟然 居然 竟 乃", "终于 最后 终 卒 遂", "忽然 突然 忽 遽 倏", "常常 经常 常 恒 每每", "曾经 曾 尝", "刚才 适才 方才 适",
        "已 已然", "马上 立刻 立即 即 旋 遽", "仍然 依然 仍 犹 依旧", "大概 大约 约 盖 概", "确实 的确 诚 信 实", "于是 然后 乃 遂 于是",
    ];

    static readonly Dictionary<string, int[]> ConceptsOfWord = Groups
        .SelectMany((group, id) => group.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(word => (word, id)))
        .GroupBy(e => e.word).ToDictionary(g => g.Key, g => g.Select(e => e.id).Distinct().ToArray(), StringComparer.Ordinal);

    static readonly int LongestWord = ConceptsOfWord.Keys.Max(w => w.Length);

    /// <summary>The concepts named in <paramref name="text"/>, longest words first at each position.</summary>
    public static IEnumerable<int> Concepts(string text)
    {
        for (int i = 0; i < text.Length;)
        {
            int length = Math.Min(LongestWord, text.Length - i);
            for (; length > 0; length--)
                if (ConceptsOfWord.TryGetValue(text.Substring(i, length), out var concepts))
                {
                    foreach (int concept in concepts) yield return concept;
                    break;
                }
            i += Math.Max(length, 1);
        }
    }
}
