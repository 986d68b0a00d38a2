// These tests build, pack and start processes: run them one at a time, so they neither compete for the two cores
// nor write the same build outputs at once.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
