"""Dataset operations, one module per topic; ``arrow_dataset.Dataset`` attaches them as methods."""
