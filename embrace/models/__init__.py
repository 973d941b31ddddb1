"""Model families: one module per family (``embrace.models.bert``, ...), each holding its config, modules and heads."""
