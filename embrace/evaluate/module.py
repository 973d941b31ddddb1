"""The metric object: validate inputs, accumulate them, compute, combine several.

A metric subclass declares ``name``, ``description``, its input ``features`` (one dict or
several alternatives) and a ``_compute(self, predictions, references, *, options...)``.
The base class does what every metric shares with the reference ``evaluate.Metric``:
``add``/``add_batch`` accumulate examples in memory, ``compute()`` adds what it is given,
computes over everything accumulated and starts over; inputs that do not match the
features raise :class:`~embrace.errors.MetricInputError` naming the metric and the
expected format; unknown options raise ``TypeError`` naming them.

Example:
    >>> import embrace.evaluate as evaluate
    >>> metric = evaluate.load("accuracy")
    >>> metric.add_batch(predictions=[0, 1], references=[0, 0])
    >>> metric.add(prediction=1, reference=1)
    >>> metric.compute()
    {'accuracy': 0.6666666666666666}
"""

from __future__ import annotations

import collections
import inspect
import itertools
from typing import Any, ClassVar, Mapping, Sequence as TypingSequence

from embrace.errors import MetricInputError
from embrace.evaluate.features import Feature, accepts_all


def _as_list(values: Any, *, metric: str, name: str) -> list:
    """Inputs may be lists, tuples, numpy arrays or torch tensors; everything else is refused."""
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__iter__"):
        raise MetricInputError(
            f"Metric {metric!r}: `{name}` must be a list (or array) of examples, got {type(values).__name__}. "
            f"Pass e.g. {name}=[...] with one entry per example."
        )
    if hasattr(values, "tolist"):  # numpy arrays / torch tensors -> Python scalars and lists
        return list(values.tolist())
    return list(values)


class EvaluationModule:
    """Base class of every metric (``evaluate.EvaluationModule`` / ``evaluate.Metric``).

    Example:
        >>> import embrace.evaluate as evaluate
        >>> f1 = evaluate.load("f1")
        >>> f1.name, f1.module_type
        ('f1', 'metric')
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    citation: ClassVar[str] = ""
    module_type: ClassVar[str] = "metric"
    # One dict {input name: feature} or a tuple of alternatives, tried in order
    features_spec: ClassVar[Mapping[str, Feature] | tuple[Mapping[str, Feature], ...]]
    config_names: ClassVar[tuple[str, ...]] = ("default",)

    def __init__(self, config_name: str | None = None, *, experiment_id: str | None = None) -> None:
        config_name = config_name or self.config_names[0]
        if config_name not in self.config_names:
            raise MetricInputError(
                f"Metric {self.name!r} has no config {config_name!r}; choose one of {list(self.config_names)}."
            )
        self.config_name = config_name
        self.experiment_id = experiment_id or "default_experiment"
        self._buffer: dict[str, list] = {name: [] for name in self._feature_names()}
        self.selected_feature_format: Mapping[str, Feature] | None = None

    # -- description -------------------------------------------------------------------

    @property
    def features(self) -> Mapping[str, Feature] | list[Mapping[str, Feature]]:
        """The input format: a dict, or a list of accepted alternatives (like the reference)."""
        spec = self.features_spec
        return list(spec) if isinstance(spec, tuple) else spec

    def _alternatives(self) -> tuple[Mapping[str, Feature], ...]:
        spec = self.features_spec
        return spec if isinstance(spec, tuple) else (spec,)

    def _feature_names(self) -> list[str]:
        return list(self._alternatives()[0])

    def _option_names(self) -> list[str]:
        """The compute options: keyword parameters of ``_compute`` after the inputs."""
        params = inspect.signature(self._compute).parameters
        return [name for name in params if name not in self._feature_names()]

    def __repr__(self) -> str:
        return (
            f"EvaluationModule(name: {self.name!r}, module_type: {self.module_type!r}, "
            f"config_name: {self.config_name!r}, features: {self.features!r})"
        )

    # -- accumulate --------------------------------------------------------------------

    def _expected(self) -> str:
        return " or ".join(repr(dict(alt)) for alt in self._alternatives())

    def _check_batch(self, batch: dict[str, list]) -> None:
        """Lengths agree and every example fits one declared alternative (the first that fits
        the first example, as the reference infers the format from it)."""
        lengths = {name: len(values) for name, values in batch.items()}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{name} ({n})" for name, n in lengths.items())
            raise MetricInputError(f"Metric {self.name!r}: mismatch in the number of {detail}; give one of each per example.")
        candidates = [self.selected_feature_format] if self.selected_feature_format else self._alternatives()
        for alternative in candidates:
            if all(accepts_all(alternative[name], batch[name]) for name in batch):
                self.selected_feature_format = alternative
                return
        preview = ", ".join(f"{name}={batch[name][:3]!r}" for name in batch)
        raise MetricInputError(
            f"Metric {self.name!r}: predictions and/or references don't match the expected format. "
            f"Expected: {self._expected()}; got {preview}."
        )

    def add_batch(self, *, predictions: Any = None, references: Any = None, **kwargs: Any) -> None:
        """Append a batch of examples to the ones that ``compute()`` will score.

        Example:
            >>> import embrace.evaluate as evaluate
            >>> m = evaluate.load("exact_match")
            >>> m.add_batch(predictions=["a", "b"], references=["a", "c"])
            >>> m.compute()
            {'exact_match': 0.5}
        """
        given = {"predictions": predictions, "references": references, **kwargs}
        unknown = sorted(k for k, v in given.items() if k not in self._feature_names() and v is not None)
        if unknown:
            raise TypeError(f"Metric {self.name!r}: add_batch() got unexpected inputs {unknown}; its inputs are {self._feature_names()}.")
        missing = [name for name in self._feature_names() if given.get(name) is None]
        if missing:
            raise MetricInputError(
                f"Metric {self.name!r}: inputs are missing: {missing}. All required inputs are {self._feature_names()}."
            )
        batch = {name: _as_list(given[name], metric=self.name, name=name) for name in self._feature_names()}
        self._check_batch(batch)
        for name, values in batch.items():
            self._buffer[name].extend(values)

    def add(self, *, prediction: Any = None, reference: Any = None, **kwargs: Any) -> None:
        """Append one example (singular argument names, like the reference).

        Example:
            >>> import embrace.evaluate as evaluate
            >>> m = evaluate.load("accuracy")
            >>> m.add(prediction=1, reference=1)
            >>> m.compute()
            {'accuracy': 1.0}
        """
        singular = {"prediction": prediction, "reference": reference, **kwargs}
        plural = {f"{name}s": value for name, value in singular.items()}  # "prediction" -> "predictions"
        unknown = sorted(k for k, v in plural.items() if k not in self._feature_names() and v is not None)
        if unknown:
            raise TypeError(f"Metric {self.name!r}: add() got unexpected inputs {unknown}; its inputs are {self._feature_names()} (singular).")
        self.add_batch(**{name: None if value is None else [value] for name, value in plural.items() if name in self._feature_names()})

    # -- compute -----------------------------------------------------------------------

    def compute(self, *, predictions: Any = None, references: Any = None, **kwargs: Any) -> dict[str, Any]:
        """Score everything added so far plus the given inputs, then start over.

        Options (``average=``, ``normalize=``, ...) are the keyword arguments of the metric;
        an unknown one raises ``TypeError`` naming it.

        Example:
            >>> import embrace.evaluate as evaluate
            >>> evaluate.load("f1").compute(predictions=[0, 1, 1], references=[0, 1, 0])
            {'f1': 0.6666666666666666}
        """
        inputs = {"predictions": predictions, "references": references}
        for name in self._feature_names():
            if name in kwargs:
                inputs[name] = kwargs.pop(name)
        unknown = sorted(set(kwargs) - set(self._option_names()))
        if unknown:
            raise TypeError(
                f"Metric {self.name!r}: compute() got unexpected keyword arguments {unknown}; "
                f"valid options are {self._option_names()}."
            )
        given = {name: inputs.get(name) for name in self._feature_names()}
        if any(value is not None for value in given.values()):
            self.add_batch(**given)
        data = self._buffer
        if not data[self._feature_names()[0]]:
            raise MetricInputError(
                f"Metric {self.name!r}: nothing to compute. Pass {self._feature_names()} to compute() "
                "or call add()/add_batch() first."
            )
        self._buffer = {name: [] for name in self._feature_names()}
        self.selected_feature_format = None
        return self._compute(**data, **kwargs)

    def _compute(self, predictions: list, references: list) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement _compute")


class CombinedEvaluations:
    """Several metrics behind one ``add``/``add_batch``/``compute`` (``evaluate.combine``).

    Result keys that two metrics share are prefixed with the metric name (always with
    ``force_prefix=True``), as the reference does.

    Example:
        >>> import embrace.evaluate as evaluate
        >>> both = evaluate.combine(["accuracy", "f1"])
        >>> both.compute(predictions=[0, 1, 1], references=[0, 1, 0])
        {'accuracy': 0.6666666666666666, 'f1': 0.6666666666666666}
    """

    def __init__(self, evaluation_modules: Any, *, force_prefix: bool = False) -> None:
        from embrace.evaluate.loading import load

        if isinstance(evaluation_modules, Mapping):
            names, modules = list(evaluation_modules), list(evaluation_modules.values())
        else:
            modules = list(evaluation_modules)
            names = [None] * len(modules)
        if not modules:
            raise MetricInputError("combine() needs at least one metric (a name or a loaded metric).")
        self.evaluation_modules = []
        self.evaluation_module_names = []
        for name, module in zip(names, modules):
            if isinstance(module, str):
                module = load(module)
            elif isinstance(module, CombinedEvaluations):
                raise MetricInputError("combine() takes metrics, not other combinations; list their metrics instead.")
            elif not isinstance(module, EvaluationModule):
                raise MetricInputError(f"combine() got {type(module).__name__}; pass metric names or loaded metrics.")
            self.evaluation_modules.append(module)
            self.evaluation_module_names.append(name or module.name)
        self.force_prefix = force_prefix

    def add(self, *, prediction: Any = None, reference: Any = None, **kwargs: Any) -> None:
        """Add one example to every metric (each takes the inputs it declares)."""
        for module in self.evaluation_modules:
            given = {"prediction": prediction, "reference": reference, **kwargs}
            wanted = {name[:-1] for name in module._feature_names()}  # "predictions" -> "prediction"
            module.add(**{k: v for k, v in given.items() if k in wanted})

    def add_batch(self, *, predictions: Any = None, references: Any = None, **kwargs: Any) -> None:
        """Add a batch to every metric."""
        for module in self.evaluation_modules:
            given = {"predictions": predictions, "references": references, **kwargs}
            module.add_batch(**{k: v for k, v in given.items() if k in module._feature_names()})

    def compute(self, *, predictions: Any = None, references: Any = None, **kwargs: Any) -> dict[str, Any]:
        """Compute every metric; each gets the options its own ``compute`` accepts."""
        every_option = set(itertools.chain.from_iterable(m._option_names() + m._feature_names() for m in self.evaluation_modules))
        unknown = sorted(set(kwargs) - every_option)
        if unknown:
            raise TypeError(f"combine(...).compute() got keyword arguments no metric accepts: {unknown}.")
        results = []
        for module in self.evaluation_modules:
            given = {"predictions": predictions, "references": references, **kwargs}
            accepted = set(module._feature_names()) | set(module._option_names())
            results.append(module.compute(**{k: v for k, v in given.items() if k in accepted}))
        return self._merge_results(results)

    def _merge_results(self, results: TypingSequence[dict[str, Any]]) -> dict[str, Any]:
        key_counts = collections.Counter(itertools.chain.from_iterable(r.keys() for r in results))
        duplicate_keys = {key for key, count in key_counts.items() if count > 1}
        name_counts = collections.Counter(self.evaluation_module_names)
        seen_per_name = {name: 0 for name, count in name_counts.items() if count > 1}
        merged: dict[str, Any] = {}
        for name, result in zip(self.evaluation_module_names, results):
            for key, value in result.items():
                if key not in duplicate_keys and not self.force_prefix:
                    merged[key] = value
                elif name in seen_per_name:  # the same metric twice: number the copies
                    merged[f"{name}_{seen_per_name[name]}_{key}"] = value
                else:
                    merged[f"{name}_{key}"] = value
            if name in seen_per_name:
                seen_per_name[name] += 1
        return merged
