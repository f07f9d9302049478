"""The e-government services, watched the way citizens reach them: checks, the quorum of
vantage points, the watcher inside `noc serve` and `noc probe`."""
