namespace StyleStudio.Training.Sft;

/// <summary>Seeded train/validation split by fraction or count.</summary>
public static class DatasetSplit
{
    /// <param name="validation">A fraction in (0, 1) or a count ≥ 1 of examples to hold out; 0 holds out none.</param>
    public static (IReadOnlyList<T> Train, IReadOnlyList<T> Validation) Split<T>(IReadOnlyList<T> items, double validation, long seed)
    {
        if (validation < 0 || (validation >= 1 && validation != Math.Floor(validation)))
            throw new ArgumentOutOfRangeException(nameof(validation), validation, "validation size must be a fraction in (0, 1) or a whole count");
        int held = validation < 1 ? (int)Math.Round(items.Count * validation) : (int)validation;
        if (held >= items.Count)
            throw new ArgumentOutOfRangeException(nameof(validation), validation, $"holding out {held} of {items.Count} examples leaves none to train on");
        var order = Enumerable.Range(0, items.Count).ToArray();
        new Random((int)(seed % int.MaxValue)).Shuffle(order);
        var validationSet = order.Take(held).Order().Select(i => items[i]).ToList();
        var trainSet = order.Skip(held).Order().Select(i => items[i]).ToList();
        return (trainSet, validationSet);
    }
}
