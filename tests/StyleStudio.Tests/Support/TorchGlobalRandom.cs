namespace StyleStudio.Tests.Support;

/// <summary>
/// Tests that seed or draw from libtorch's process-wide random generator (dropout, randn, the trainer's seeding) run
/// alone: in parallel they would consume each other's random numbers and break bit-for-bit reproducibility checks.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchGlobalRandom
{
    public const string Name = "torch global random generator";
}
