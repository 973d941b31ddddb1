"""Output formats of ``Dataset.__getitem__`` (python, numpy, torch, pandas, arrow, custom).

Example:
    >>> from embrace.datasets.formatting import get_format_type_from_alias
    >>> get_format_type_from_alias("pt")
    'torch'
"""

from embrace.datasets.formatting.formatting import (
    FORMAT_ALIASES,
    FORMATTERS,
    ArrowFormatter,
    CustomFormatter,
    Formatter,
    PandasFormatter,
    PythonFormatter,
    get_format_type_from_alias,
    get_formatter,
    register_formatter,
)
from embrace.datasets.formatting.tensors import NumpyFormatter, TorchFormatter

__all__ = [
    "FORMAT_ALIASES", "FORMATTERS", "ArrowFormatter", "CustomFormatter", "Formatter", "NumpyFormatter",
    "PandasFormatter", "PythonFormatter", "TorchFormatter", "get_format_type_from_alias", "get_formatter",
    "register_formatter",
]
