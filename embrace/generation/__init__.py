"""Text generation: ``GenerationConfig``, logits processors, stopping criteria, decoding loops, streamers.

Example:
    >>> from embrace.generation import GenerationConfig
    >>> GenerationConfig(max_new_tokens=3).max_new_tokens
    3
"""

from embrace.generation.beam_constraints import (
    Constraint, ConstraintListState, DisjunctiveConstraint, DisjunctiveTrie, PhrasalConstraint,
)
from embrace.generation.candidate_generator import ConfidenceCriteria
from embrace.generation.configuration_utils import CompileConfig, GenerationConfig, GenerationMode
from embrace.generation.logits_process import *  # noqa: F403 - the processor classes are the public API
from embrace.generation.logits_process import __all__ as _processors
from embrace.generation.stopping_criteria import *  # noqa: F403
from embrace.generation.stopping_criteria import __all__ as _criteria
from embrace.generation.streamers import BaseStreamer, TextIteratorStreamer, TextStreamer
from embrace.generation.utils import (
    GenerateBeamDecoderOnlyOutput,
    GenerateBeamEncoderDecoderOutput,
    GenerateDecoderOnlyOutput,
    GenerateEncoderDecoderOutput,
    GenerationMixin,
)

__all__ = [
    "CompileConfig", "GenerationConfig", "GenerationMode", "GenerationMixin", "GenerateDecoderOnlyOutput",
    "GenerateBeamDecoderOnlyOutput", "GenerateEncoderDecoderOutput", "GenerateBeamEncoderDecoderOutput", "BaseStreamer", "TextStreamer", "TextIteratorStreamer", "Constraint",
    "ConstraintListState", "DisjunctiveConstraint", "DisjunctiveTrie", "PhrasalConstraint", "ConfidenceCriteria",
    *_processors, *_criteria,
]
