using StyleStudio.Data.Rating;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation.Judging;
using StyleStudio.Evaluation.Rating;
using StyleStudio.Serving;

namespace StyleStudio.Web.Rating;

/// <summary>
/// Blind A/B rating, the use case the rating pages call: making a study (model outputs decode on the serving engine, as
/// evaluation's do), showing each rater an item in their own seeded order, saving their judgement by system, and the
/// results and export.
/// </summary>
public sealed class RatingStudies(DataStore store, GenerationService generation)
{
    /// <summary>Rows in flight at once while a model writes a study's outputs: they decode in one batch.</summary>
    const int Concurrency = 8;

    RatingStore Ratings => store.Ratings;

    public IReadOnlyList<RatingStudy> All() => Ratings.All();

    public RatingStudy Get(int id) => Ratings.Get(id);

    /// <summary>
    /// Makes a study: checks the predictions files against the number of rows first (so a mistake shows before any model
    /// runs), then has each model system rewrite the rows greedily, reporting progress, and stores the study.
    /// </summary>
    /// <exception cref="ArgumentException">Bad name, dataset, row count, or a predictions file whose lines do not match the rows.</exception>
    public async Task<RatingStudy> CreateAsync(StudyRequest request, IProgress<string>? progress = null, CancellationToken cancellation = default)
    {
        if (string.IsNullOrWhiteSpace(request.Name)) throw new ArgumentException("a study needs a name");
        if (Ratings.All().Any(s => s.Name == request.Name.Trim())) throw new ArgumentException($"a study named '{request.Name.Trim()}' exists already; choose another name");
        if (request.Rows < 1) throw new ArgumentException($"a study needs at least 1 row, not {request.Rows}");
        if (request.System1.Name == request.System2.Name)
            throw new ArgumentException($"both systems are '{request.System1.Name}': a study compares two different systems");
        var dataset = store.Find(request.Dataset);
        var rows = store.Rows(dataset.Id).Take(Math.Min(request.Rows, RatingStore.MaxItems)).ToList();
        if (rows.Count < request.Rows)
            throw new ArgumentException($"'{dataset.Name}' has {rows.Count} rows; the study asks for {request.Rows}");
        foreach (var (system, number) in new[] { (request.System1, 1), (request.System2, 2) })
            if (system is PredictionsSystem file && file.Lines.Count != rows.Count)
                throw new ArgumentException($"system {number}: {file.FileName} has {file.Lines.Count} line{(file.Lines.Count == 1 ? "" : "s")}, " +
                    $"but the study has {rows.Count} rows — it needs one line per row, in the dataset's order");

        var outputs = new List<IReadOnlyList<string>>();
        foreach (var (system, number) in new[] { (request.System1, 1), (request.System2, 2) })
            outputs.Add(system switch
            {
                PredictionsSystem file => file.Lines,
                ModelSystem model => await RewriteAsync(model, rows, number, progress, cancellation),
                _ => throw new ArgumentException($"system {number}: unknown kind {system.GetType().Name}"),
            });
        var items = rows.Select((row, i) => new StudyItem(i, row.Query, outputs[0][i], outputs[1][i], row.Output)).ToList();
        return Ratings.Create(request.Name, dataset.Name, dataset.Version, request.System1.Name, request.System2.Name, items);
    }

    async Task<IReadOnlyList<string>> RewriteAsync(ModelSystem system, IReadOnlyList<StyleStudio.Data.Model.DatasetRow> rows, int number,
        IProgress<string>? progress, CancellationToken cancellation)
    {
        generation.Resolve(system.ModelId);   // an unknown id fails here, naming what is available
        var model = new ServedStyleModel(generation, system.ModelId, template: null, system.MaxNewTokens);
        var texts = new string[rows.Count];
        int done = 0;
        progress?.Report($"system {number} ({system.ModelId}): loading the model");
        await Parallel.ForEachAsync(Enumerable.Range(0, rows.Count), new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellation },
            async (i, token) =>
            {
                texts[i] = await model.RewriteAsync(rows[i].Query, rows[i].System, token);
                progress?.Report($"system {number} ({system.ModelId}): rewritten {Interlocked.Increment(ref done)} / {rows.Count}");
            });
        return texts;
    }

    /// <summary>The first item <paramref name="rater"/> has not rated, or null when they have rated them all.</summary>
    public int? NextItem(int studyId, string rater)
    {
        var study = Get(studyId);
        var rated = RatedBy(studyId, rater);
        return Enumerable.Range(0, study.Items.Count).Cast<int?>().FirstOrDefault(i => !rated.Contains(i!.Value));
    }

    /// <summary>How many items <paramref name="rater"/> has rated.</summary>
    public int RatedCount(int studyId, string rater) => RatedBy(studyId, rater).Count;

    HashSet<int> RatedBy(int studyId, string rater) =>
        Ratings.Ratings(studyId).Where(r => r.Rater == rater.Trim()).Select(r => r.Item).ToHashSet();

    /// <summary>Item <paramref name="index"/> as <paramref name="rater"/> sees it.</summary>
    public RaterItem Item(int studyId, string rater, int index)
    {
        var study = Get(studyId);
        var item = study.Items[index];
        bool swapped = BlindOrder.Swapped(studyId, rater, index);
        var earlier = Ratings.Ratings(studyId).FirstOrDefault(r => r.Item == index && r.Rater == rater.Trim());
        return new RaterItem(index, study.Items.Count, RatedCount(studyId, rater), item.Source,
            swapped ? item.Output2 : item.Output1, swapped ? item.Output1 : item.Output2, swapped,
            earlier is null ? null : BlindOrder.ToChoice(earlier.Preference, swapped),
            earlier?.ScoresOf(swapped ? 2 : 1) ?? AxisScores.None, earlier?.ScoresOf(swapped ? 1 : 2) ?? AxisScores.None);
    }

    /// <summary>Saves a judgement given by position: the choice and the A/B scores are mapped to the systems through the
    /// item's blind order, which is computed again here rather than trusted from the page.</summary>
    public void Rate(int studyId, string rater, int index, ScreenChoice choice, AxisScores scoresA, AxisScores scoresB)
    {
        bool swapped = BlindOrder.Swapped(studyId, rater, index);
        Ratings.Save(new StudyRating(studyId, index, rater.Trim(), BlindOrder.ToPreference(choice, swapped), swapped,
            swapped ? scoresB : scoresA, swapped ? scoresA : scoresB, DateTime.UtcNow));
    }

    public StudyResults Results(int studyId) => StudyAnalysis.Analyze(Get(studyId), Ratings.Ratings(studyId));

    public string ExportCsv(int studyId) => StudyExport.Csv(Get(studyId), Ratings.Ratings(studyId));

    /// <summary>
    /// An LLM judge's verdicts on both systems' outputs set against what the raters scored the same outputs (their mean
    /// per output and axis): Spearman ρ and Kendall τ-b per axis, over outputs both the judge and people scored. Verdicts
    /// are cached in the data folder's judgements.db, so asking again costs nothing.
    /// </summary>
    public async Task<IReadOnlyList<AxisAgreement>> JudgeAgreementAsync(int studyId, JudgeEndpointOptions endpoint, string style,
        IProgress<JudgeProgress>? progress = null, CancellationToken cancellation = default)
    {
        endpoint.Validate();
        var study = Get(studyId);
        var ratings = Ratings.Ratings(studyId);
        var client = new OpenAiJudgeClient(endpoint);
        using var cache = JudgementCache.Open(Path.Combine(store.Folder, "judgements.db"));
        var judge = new LlmJudge(client, cache);
        var pairs = new Dictionary<RatingAxis, (List<double> Judge, List<double> Human)>();
        foreach (var axis in Enum.GetValues<RatingAxis>()) pairs[axis] = ([], []);
        foreach (int system in new[] { 1, 2 })
        {
            var items = study.Items.Select(i => new JudgeItem(i.Source, system == 1 ? i.Output1 : i.Output2, i.Reference)).ToList();
            var verdicts = await judge.JudgeAsync(items, new JudgeSettings { Style = style, System = study.SystemName(system) }, progress, cancellation);
            foreach (var verdict in verdicts.Rows.Where(v => v.Scores is not null))
                foreach (var axis in Enum.GetValues<RatingAxis>())
                {
                    var human = ratings.Where(r => r.Item == study.Items[verdict.Row].Index)
                        .Select(r => r.ScoresOf(system)[axis]).Where(score => score is not null).Select(score => (double)score!.Value).ToList();
                    if (human.Count == 0) continue;
                    pairs[axis].Judge.Add(JudgeScore(verdict.Scores!, axis));
                    pairs[axis].Human.Add(human.Average());
                }
        }
        return pairs.Select(p => JudgeAgreement.Of(p.Key.ToString().ToLowerInvariant(), p.Value.Judge, p.Value.Human)).ToList();
    }

    static double JudgeScore(JudgeScores scores, RatingAxis axis) => axis switch
    {
        RatingAxis.Style => scores.Style,
        RatingAxis.Meaning => scores.Meaning,
        _ => scores.Fluency,
    };
}
