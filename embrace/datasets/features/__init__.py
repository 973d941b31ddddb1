"""Feature types: the schema of a dataset's columns.

Example:
    >>> from embrace.datasets.features import Features, Value
    >>> Features({"x": Value("int32")})
    {'x': Value('int32')}
"""

from embrace.datasets.features.arrays import Array2D, Array3D, Array4D, Array5D
from embrace.datasets.features.class_label import ClassLabel
from embrace.datasets.features.features import Features
from embrace.datasets.features.sequences import LargeList, List, Sequence
from embrace.datasets.features.value import Value

__all__ = ["Array2D", "Array3D", "Array4D", "Array5D", "ClassLabel", "Features", "LargeList", "List", "Sequence", "Value"]
