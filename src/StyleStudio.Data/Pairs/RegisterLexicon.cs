namespace StyleStudio.Data.Pairs;

/// <summary>
/// Formal English words and phrases and their everyday equivalents, grouped by meaning: approximately · about · around,
/// regret · sorry, dispatched · shipped · sent. Formal and casual rewrites of one sentence often share only such pairs
/// ("Your cooperation is greatly appreciated" · "Thanks for working with us"), and WordNet links few of them (its synsets
/// ignore register). No served package lists register equivalents, so the common ones are written here. Words are
/// matched after contractions are split (didn't → did not), longest phrase first (up to three words).
/// </summary>
static class RegisterLexicon
{
    static readonly string[] Groups =
    [
        "approximately|about|around|roughly|some|or so", "regret|sorry|apologise|apologize|apologies|unfortunately|afraid",
        "inform|let know|tell|heads up|fyi|just so you know|note|advised|be advised", "appreciate|appreciated|thanks|thank|grateful|thank you",
        "assist|assistance|help|helps|aid|give a hand", "require|requires|required|need|needs|calls for|call for|have to|must",
        "commence|commenced|start|begin|kick off|starts", "terminate|conclude|concluded|end|finish|wrap up|wrapped up|adjourn|adjourned|done|over",
        "request|ask|asked|inquire|enquire|query|question", "receive|received|obtain|obtained|acquire|get|got|gotten",
        "provide|give|offer|supply|hand", "sufficient|enough|plenty", "numerous|many|lots|a lot|loads|tons|plenty of",
        "attempt|endeavour|endeavor|try|give it a go|shot", "reside|live|stay|residence|home|place", "utilise|utilize|use|employ",
        "unable|can not|cannot|could not|not able", "pleased|delighted|glad|happy|thrilled|excited", "satisfactory|fine|ok|okay|good|works|alright",
        "unsuccessful|failed|not get|no luck|did not work|did not make", "cancelled|canceled|called off|off|scrapped", "postponed|delayed|pushed back|late|put off",
        "depart|leave|head out|take off|go", "arrive|arrival|get here|get there|show up|reach", "children|kids|child|kid",
        "automobile|vehicle|car|ride", "telephone|phone|call|ring", "contact|reach|get in touch|ping|hit up|touch base",
        "currently|presently|now|right now|at the moment", "immediately|promptly|right away|straight away|asap|at once|now",
        "additional|further|more|extra|another", "however|but|though|still", "therefore|thus|consequently|so|that is why",
        "perhaps|possibly|maybe|might", "regarding|concerning|about|re|on", "difficult|challenging|hard|tough|tricky",
        "excellent|outstanding|remarkable|great|awesome|amazing|fantastic|seriously good|super", "beverage|drink", "consume|eat|drink|have",
        "employment|job|work|position", "remuneration|salary|pay|wage", "individuals|persons|people|folks|everyone|everybody",
        "proceed|go ahead|continue|carry on", "ensure|make sure|check", "verify|confirm|check|double check", "examine|inspect|review|look at|check out|check",
        "observe|notice|see|spot", "comprehend|understand|get|follow", "purchase|purchased|buy|bought|get", "inexpensive|cheap|affordable|budget",
        "expensive|costly|pricey|steep", "fatigued|exhausted|tired|beat|worn out", "ill|unwell|sick|under the weather", "physician|doctor|doc",
        "facility|premises|place|building", "examination|exam|test", "laboratory|lab", "colleague|coworker|co-worker|workmate",
        "curriculum vitae|resume|cv", "enclosed|attached|attach|enclose", "dispatched|shipped|sent|on the way|on its way",
        "commended|praised|shout-out|shout out|kudos|props", "congratulations|congrats|well done|nice work", "adverse|bad|rough|terrible",
        "owing to|due to|because of|because|since|as", "specialises|specializes|does|focuses", "firm|company|business|outfit",
        "introduce|this is|meet|met", "consideration|think|thought|reconsider|mind", "dissatisfaction|unhappy|not happy|not great|disappointed",
        "indicate|indicates|show|shows|looks like|seems|appears|appear", "unanimous|everyone agreed|all agreed|agreed", "autumn|fall",
        "celebrate|celebrates|throw|party|festival", "invaluable|helpful|helps|useful|really helps", "renowned|famous|well known|known",
        "resolve|fix|sort out|solve|handle", "bear with|hang tight|hang on|hold on|wait", "remain|stay|still", "journey|trip|travel|ride",
        "attend to|deal with|handle|take care of", "personally|himself|herself|myself|yourself", "believe|think|reckon|guess|feel",
        "formally|officially|properly", "convinced|sure|certain|confident", "successful|work|works|succeed|pay off",
        "endeavour to|try to", "complete|finish|get done|done|wrap up", "information|info|details", "upon request|just ask|ask",
        "sincerely|really|truly|honestly|genuinely", "greatly|really|a lot|so much|very", "kindly|please|pls",
        "out of order|broken|not working|dead|down", "suitable|fit|fine|ok|good", "experienced|seasoned|pro|skilled",
        "cooperation|working with|help|teamwork", "manager|boss|supervisor|chair|chairman|head", "staff|team|employees|crew|people",
        "talent|gift|good at|great at|amazing at|knack", "limited|tight|scarce|not much|few", "due to|because of", "residence|house|home|place",
        "gentlemen|guys|folks|everyone", "desire|wish|want|would like|feel like|keen", "commence|opening|start", "inquiry|question|query",
        "prohibited|forbidden|not allowed|banned|no", "permitted|allowed|ok|can", "approval|ok|go-ahead|green light|sign off",
        "discuss|talk|chat|go over", "meeting|meet|catch up|sync", "refund|money back|reimburse|reimbursement", "admission|entry|ticket|free",
        "dwelling|house|home", "incorrect|wrong|mistaken|off", "correct|right|spot on", "obtain|grab|pick up|get",
        "accompany|come with|go with|join", "anticipate|expect|think|bet", "numerous|several|a bunch of|a few", "commute|ride|drive|trip",
        "purchase|shopping|buy", "nutritious|healthy|good for you", "intoxicated|drunk|wasted", "famished|starving|hungry",
        "residence|apartment|flat|place", "expedite|speed up|hurry|rush", "utmost|best|all we can", "frequently|often|a lot|all the time",
        "occasionally|sometimes|now and then|once in a while", "rarely|seldom|hardly ever|not often", "substantial|big|huge|major|large",
        "minimal|tiny|small|little|minor", "enormous|huge|massive|giant|big", "extremely|very|super|really|so|seriously",
    ];

    static readonly Dictionary<string, int[]> ConceptsOfPhrase = Groups
        .SelectMany((group, id) => group.Split('|', StringSplitOptions.RemoveEmptyEntries).Select(phrase => (phrase, id)))
        .GroupBy(e => e.phrase).ToDictionary(g => g.Key, g => g.Select(e => e.id).Distinct().ToArray(), StringComparer.Ordinal);

    /// <summary>The concepts named in a sentence's words (lower-cased, contractions split), longest phrase first at each word.</summary>
    public static IEnumerable<int> Concepts(IReadOnlyList<string> words)
    {
        for (int i = 0; i < words.Count;)
        {
            int length = Math.Min(3, words.Count - i);
            for (; length > 0; length--)
                if (ConceptsOfPhrase.TryGetValue(string.Join(' ', words.Skip(i).Take(length)), out var concepts))
                {
                    foreach (int concept in concepts) yield return concept;
                    break;
                }
            i += Math.Max(length, 1);
        }
    }

    /// <summary>A word with its contraction split the way the formal side would write it: didn't → did not, I'm → i am,
    /// order's → order is, we've → we have (the possessive 's reads as "is", which costs nothing: "is" weighs little).</summary>
    public static IEnumerable<string> Expand(string word)
    {
        switch (word)
        {
            case "won't": yield return "will"; yield return "not"; yield break;
            case "can't": case "cannot": yield return "can"; yield return "not"; yield break;
            case "shan't": yield return "shall"; yield return "not"; yield break;
        }
        int apostrophe = word.IndexOf('\'');
        if (apostrophe <= 0) { yield return word; yield break; }
        string stem = word[..apostrophe], tail = word[apostrophe..];
        if (tail == "n't" || (tail == "'t" && stem.EndsWith('n')))
        {
            yield return stem.EndsWith('n') && tail == "'t" ? stem[..^1] : stem;
            yield return "not";
            yield break;
        }
        yield return stem;
        string? expanded = tail switch { "'m" => "am", "'re" => "are", "'ve" => "have", "'ll" => "will", "'d" => "would", "'s" => "is", _ => null };
        if (expanded is not null) yield return expanded;
    }
}
