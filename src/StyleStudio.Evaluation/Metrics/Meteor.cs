namespace StyleStudio.Evaluation.Metrics;

/// <summary>
/// METEOR as NLTK 3.8's <c>nltk.translate.meteor_score.meteor_score</c> computes it (alpha 0.9, beta 3, gamma 0.5),
/// on a 0–1 scale. Each line is tokenized by the BLEU tokenizer (<see cref="MtTokenizer"/>), split on whitespace and
/// lowercased (Python's <c>str.lower</c>). Words are aligned in three stages, each taking the hypothesis from its last
/// word to its first and giving every word the last still unmatched reference word that fits: identical words, then
/// identical Porter stems (<see cref="PorterStemmer"/>) of the words left, then WordNet synonyms of those stems (a
/// reference stem equal to a one-word lemma name of any synset of the hypothesis stem, see <see cref="WordNet"/>).
/// With m matches, P = m / hypothesis length, R = m / reference length, F = PR / (0.9P + 0.1R), and the matches sorted
/// by hypothesis position falling into c chunks (runs adjacent on both sides), the score is F · (1 − 0.5 (c/m)³).
/// No match, an empty hypothesis or an empty reference scores 0 (NLTK catches the division by zero); with several
/// references the best score counts; a corpus scores the mean of its sentences. Written here because no .NET package
/// computes METEOR; the tests hold it to NLTK's own numbers.
/// <para>
/// Chinese: with <see cref="MtTokenization.Chinese"/> every CJK character is a token; Porter stemming leaves them as they
/// are and WordNet has no Chinese, so METEOR on Chinese is character-level exact matching (precision and recall of
/// characters, recall-weighted) with the fragmentation penalty for characters out of order.
/// </para>
/// </summary>
public static class Meteor
{
    public const double Alpha = 0.9, Beta = 3.0, Gamma = 0.5;

    /// <summary>
    /// The mean sentence METEOR of hypotheses against one or more reference sets (each as long as the hypotheses); 0 for
    /// none. Without <paramref name="wordnet"/>, the process-wide <see cref="WordNet.Open"/>.
    /// </summary>
    public static double Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> referenceSets,
        MtTokenization tokenization, WordNet? wordnet = null)
    {
        if (referenceSets.Count == 0) throw new ArgumentException("METEOR needs at least one reference set");
        if (referenceSets.Any(set => set.Count != hypotheses.Count))
            throw new ArgumentException($"every reference set needs {hypotheses.Count} lines, one per hypothesis");
        wordnet ??= WordNet.Open();
        double sum = 0;
        for (int i = 0; i < hypotheses.Count; i++)
            sum += Sentence(hypotheses[i], referenceSets.Select(set => set[i]).ToList(), tokenization, wordnet);
        return hypotheses.Count == 0 ? 0 : sum / hypotheses.Count;
    }

    /// <summary>Sentence METEOR: the best over the references.</summary>
    public static double Sentence(string hypothesis, IReadOnlyList<string> references, MtTokenization tokenization,
        WordNet? wordnet = null) =>
        Score(Tokenize(hypothesis, tokenization), references.Select(r => Tokenize(r, tokenization)).ToList(), wordnet);

    /// <summary>The tokens METEOR compares: the BLEU tokenizer's output (of the line without trailing whitespace, as
    /// sacreBLEU feeds its tokenizer) split on whitespace, before lowercasing.</summary>
    public static IReadOnlyList<string> Tokenize(string line, MtTokenization tokenization) =>
        MtTokenizer.PythonSplit(MtTokenizer.Tokenize(PythonText.RStrip(line), tokenization)).ToList();

    /// <summary>METEOR of tokenized text, NLTK's <c>meteor_score(references, hypothesis)</c>: the best reference's.</summary>
    public static double Score(IReadOnlyList<string> hypothesis, IReadOnlyList<IReadOnlyList<string>> references,
        WordNet? wordnet = null)
    {
        if (references.Count == 0) throw new ArgumentException("METEOR needs at least one reference");
        wordnet ??= WordNet.Open();
        return references.Max(reference => SingleScore(hypothesis, reference, wordnet));
    }

    /// <summary>METEOR of tokenized text against one reference, NLTK's <c>single_meteor_score</c>.</summary>
    public static double SingleScore(IReadOnlyList<string> hypothesis, IReadOnlyList<string> reference, WordNet wordnet)
    {
        var matches = Align(hypothesis, reference, wordnet);
        if (hypothesis.Count == 0 || reference.Count == 0 || matches.Count == 0) return 0;
        double precision = (double)matches.Count / hypothesis.Count;
        double recall = (double)matches.Count / reference.Count;
        double fmean = precision * recall / (Alpha * precision + (1 - Alpha) * recall);
        double fragmentation = (double)Chunks(matches) / matches.Count;
        return (1 - Gamma * Math.Pow(fragmentation, Beta)) * fmean;
    }

    /// <summary>
    /// The word alignment, NLTK's <c>align_words</c>: (hypothesis index, reference index) pairs from the exact, stem and
    /// synonym stages, sorted by hypothesis index.
    /// </summary>
    public static IReadOnlyList<(int Hypothesis, int Reference)> Align(IReadOnlyList<string> hypothesis,
        IReadOnlyList<string> reference, WordNet wordnet)
    {
        var hyp = hypothesis.Select((word, i) => (Index: i, Word: PythonText.Lower(word))).ToList();
        var refs = reference.Select((word, i) => (Index: i, Word: PythonText.Lower(word))).ToList();
        var matches = new List<(int Hypothesis, int Reference)>();
        MatchStage(hyp, refs, matches, (h, r) => h == r);

        // The stem stage replaces the words left on both sides by their stems; the synonym stage looks those up.
        hyp = hyp.Select(p => (p.Index, PorterStemmer.Stem(p.Word))).ToList();
        refs = refs.Select(p => (p.Index, PorterStemmer.Stem(p.Word))).ToList();
        MatchStage(hyp, refs, matches, (h, r) => h == r);
        MatchStage(hyp, refs, matches, (h, r) => h == r || wordnet.MeteorSynonyms(h).Contains(r));

        matches.Sort((a, b) => a.Hypothesis.CompareTo(b.Hypothesis));
        return matches;
    }

    /// <summary>
    /// One matching stage: hypothesis words from last to first, each matched to the last unmatched reference word that
    /// fits; matched words leave both lists.
    /// </summary>
    static void MatchStage(List<(int Index, string Word)> hypothesis, List<(int Index, string Word)> reference,
        List<(int, int)> matches, Func<string, string, bool> fits)
    {
        for (int i = hypothesis.Count - 1; i >= 0; i--)
            for (int j = reference.Count - 1; j >= 0; j--)
            {
                if (!fits(hypothesis[i].Word, reference[j].Word)) continue;
                matches.Add((hypothesis[i].Index, reference[j].Index));
                hypothesis.RemoveAt(i);
                reference.RemoveAt(j);
                break;
            }
    }

    /// <summary>Runs of matches adjacent in both hypothesis and reference, over matches sorted by hypothesis index.</summary>
    static int Chunks(IReadOnlyList<(int Hypothesis, int Reference)> matches)
    {
        int chunks = 1;
        for (int i = 0; i + 1 < matches.Count; i++)
            if (matches[i + 1].Hypothesis != matches[i].Hypothesis + 1 || matches[i + 1].Reference != matches[i].Reference + 1)
                chunks++;
        return chunks;
    }
}
