using StyleStudio.Data.Pairs;
using StyleStudio.Data.Storage;

namespace StyleStudio.Web.Pairs;

/// <summary>Which candidates the review list shows.</summary>
public enum CandidateFilter { All, Above, Below, Decided }

/// <summary>
/// An open mining session as the page shows it: the candidates, the user's decisions and sample labels, the trade-off
/// estimate and what publishing would add. Every change goes through <see cref="PairMining"/> (the store) first; this
/// only keeps the loaded copy in step, so a big session is not read again on each click.
/// </summary>
public sealed class MiningReview
{
    readonly PairMining mining;
    readonly Dictionary<int, PairDecision> decisions;

    public MiningSessionRecord Session { get; private set; }
    public IReadOnlyList<MiningCandidate> Candidates { get; }
    public ThresholdEstimate Estimate { get; private set; }
    /// <summary>The sample's judgements, by candidate (kept with the session so a list of thousands need not rebuild it per row).</summary>
    IReadOnlyDictionary<int, bool> Labels { get; set; }
    /// <summary>The estimate at the chosen threshold.</summary>
    public ThresholdPoint AtThreshold { get; private set; }

    public MiningReview(PairMining mining, int id)
    {
        this.mining = mining;
        Session = mining.Session(id);
        Candidates = mining.Candidates(id);
        decisions = mining.Decisions(id).ToDictionary();
        (Estimate, AtThreshold, Labels) = (PairMining.Estimate(Session, Candidates), PairMining.EstimateAt(Session, Candidates), PairMining.Labels(Session));
    }

    public int Id => Session.Id;
    public int Labelled => Session.Sample.Count(s => s.Correct is not null);
    public bool SampleDone => Labelled == Session.Sample.Count;
    public double? Suggested => Estimate.Suggest();

    /// <summary>The sample's first candidate not yet judged, as its place in the sample, or null when all are.</summary>
    public int? FirstUnlabelled => Session.Sample.ToList().FindIndex(s => s.Correct is null) is >= 0 and var index ? index : null;

    /// <summary>Records a judgement; when it completes the sample, the threshold moves to the suggested one (if any).</summary>
    public void Label(int candidate, bool correct)
    {
        bool wasDone = SampleDone;
        Update(mining.Label(Id, candidate, correct));
        if (!wasDone && SampleDone && Suggested is { } suggested) SetThreshold(suggested);
    }

    public void SetThreshold(double threshold) => Update(mining.SetThreshold(Id, threshold));

    public void Decide(int candidate, PairDecision decision)
    {
        mining.Decide(Id, candidate, decision);
        if (decision == PairDecision.Undecided) decisions.Remove(candidate);
        else decisions[candidate] = decision;
    }

    public MiningPublished Publish(string dataset, string style, string instruction)
    {
        var published = mining.Publish(Id, dataset, style, instruction);
        Update(mining.Session(Id));
        return published;
    }

    /// <summary>The user's word on a candidate (a decision, else its sample label).</summary>
    public PairDecision DecisionOf(int candidate) => PairMining.Decision(candidate, decisions, Labels);

    public bool IsChosen(MiningCandidate candidate) => PairMining.IsChosen(candidate, Session.Threshold, DecisionOf(candidate.Index));

    public IEnumerable<MiningCandidate> Filtered(CandidateFilter filter) => filter switch
    {
        CandidateFilter.Above => Candidates.Where(c => c.Score >= Session.Threshold),
        CandidateFilter.Below => Candidates.Where(c => c.Score < Session.Threshold),
        CandidateFilter.Decided => Candidates.Where(c => DecisionOf(c.Index) != PairDecision.Undecided),
        _ => Candidates,
    };

    /// <summary>How many pairs publishing adds: those kept by the threshold and those accepted below it.</summary>
    public (int Kept, int AcceptedBelow) ChosenCounts() =>
        (Candidates.Count(c => c.Score >= Session.Threshold && IsChosen(c)), Candidates.Count(c => c.Score < Session.Threshold && IsChosen(c)));

    void Update(MiningSessionRecord session)
    {
        Session = session;
        (Estimate, AtThreshold, Labels) = (PairMining.Estimate(session, Candidates), PairMining.EstimateAt(session, Candidates), PairMining.Labels(session));
    }
}
