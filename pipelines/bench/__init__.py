"""`edustat bench`: national-scale measurements of the pipeline against two baselines."""
