"""The behaviour every pipeline component shares: its JSON object, equality and pickling.

Normalizers, pre-tokenizers, post-processors and decoders are each "a class per ``"type"``
of ``tokenizer.json``". Their state *is* that JSON object, so equality compares it and
pickling stores it; unpickling rebuilds the component from it through the kind's
``*_from_dict`` function (which checks the object like loading a ``tokenizer.json`` does).

Example:
    >>> import pickle
    >>> from embrace.tokenizers.normalizers import Lowercase
    >>> pickle.loads(pickle.dumps(Lowercase())) == Lowercase()
    True
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar

from embrace.errors import TokenizerError

__all__ = ["Component", "ComponentSequence"]


class Component:
    """Base of the four component kinds; each kind names its ``"type"`` registry builder.

    A kind's base class sets ``build_from_json`` to the function that turns any JSON
    object of that kind into a component (``normalizer_from_dict``, ...). Subclasses set
    ``type_name`` (the ``"type"`` value) and, when they have options, override
    :meth:`to_dict`, :meth:`from_dict` and ``__repr__``. ``str()`` is ``repr()``.

    Example:
        >>> from embrace.tokenizers.pre_tokenizers import Whitespace
        >>> Whitespace().to_dict(), Whitespace() == Whitespace(), str(Whitespace())
        ({'type': 'Whitespace'}, True, 'Whitespace()')
    """

    type_name: ClassVar[str] = ""
    build_from_json: ClassVar[Callable[[Any], "Component"]]

    def to_dict(self) -> dict[str, Any]:
        """The ``tokenizer.json`` object describing this component."""
        return {"type": self.type_name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """Build this class from its ``tokenizer.json`` object (option-less by default)."""
        return cls()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()  # type: ignore[attr-defined]

    # Components are mutable (a Sequence's items can be replaced), so the hash is the
    # identity: equal-but-distinct components stay distinct dict keys.
    def __hash__(self) -> int:
        return id(self)

    def __getstate__(self) -> dict[str, Any]:
        return self.to_dict()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(type(self).build_from_json(state).__dict__)


class ComponentSequence:
    """What a kind's ``Sequence`` shares: list access, its JSON object and its repr.

    ``items_field`` names both the attribute holding the chained components and the
    ``tokenizer.json`` key they are written under (``"normalizers"``, ...). Put this mixin
    before the kind's base class so its :meth:`to_dict` and ``__repr__`` win.

    Example:
        >>> from embrace.tokenizers.normalizers import Lowercase, Sequence
        >>> seq = Sequence([Lowercase()])
        >>> len(seq), seq[0], seq.to_dict()
        (1, Lowercase(), {'type': 'Sequence', 'normalizers': [{'type': 'Lowercase'}]})
    """

    items_field: ClassVar[str]
    type_name: ClassVar[str]

    def _set_items(self, items: Any, kind: type) -> None:
        """Check that every item is a ``kind`` component, then store them as a list."""
        items = list(items)
        for i, item in enumerate(items):
            if not isinstance(item, kind):
                raise TokenizerError(f"Sequence.{self.items_field}[{i}] is not a {kind.__name__}: {item!r}")
        setattr(self, self.items_field, items)

    def _items(self) -> list[Any]:
        return getattr(self, self.items_field)

    def __getitem__(self, index: int) -> Any:
        return self._items()[index]

    def __setitem__(self, index: int, value: Any) -> None:
        self._items()[index] = value

    def __len__(self) -> int:
        return len(self._items())

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, self.items_field: [c.to_dict() for c in self._items()]}

    def __repr__(self) -> str:
        return f"Sequence({self.items_field}=[{', '.join(repr(c) for c in self._items())}])"
