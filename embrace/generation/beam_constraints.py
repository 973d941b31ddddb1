"""Positive constraints for constrained beam search: phrases that must appear in the output.

A constraint is a small state machine over generated tokens: ``advance()`` says which token(s)
would make progress, ``update(token)`` moves it forward (or resets it when the token breaks the
phrase), ``remaining()`` counts the tokens still needed. :class:`ConstraintListState` tracks a
whole list of constraints for one hypothesis; its ``get_bank()`` (how much of the list is done)
is what constrained beam search uses to keep hypotheses at every stage of progress.

Example:
    >>> from embrace.generation.beam_constraints import ConstraintListState, PhrasalConstraint
    >>> state = ConstraintListState([PhrasalConstraint([5, 6])])
    >>> state.reset([1, 5, 6])
    >>> state.completed
    True
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


def _check_token_list(token_ids: Any, what: str) -> None:
    if not isinstance(token_ids, list) or len(token_ids) == 0:
        raise ValueError(f"`{what}` has to be a non-empty list, but is {token_ids}.")
    if any(not isinstance(token, int) or isinstance(token, bool) or token < 0 for token in token_ids):
        raise ValueError(f"Each list in `{what}` has to be a list of positive integers, but is {token_ids}.")


def _check_int(token_id: Any) -> None:
    if not isinstance(token_id, int):
        raise TypeError(f"`token_id` has to be an `int`, but is {token_id} of type {type(token_id)}")


class Constraint(ABC):
    """Base class of a positive constraint (subclasses implement the state machine methods).

    Attributes every subclass sets: ``seqlen`` (tokens needed in total) and ``completed``.
    """

    seqlen: int
    completed: bool

    @abstractmethod
    def advance(self) -> int | list[int] | None:
        """The token (or tokens) that would make progress; ``None`` when complete."""

    @abstractmethod
    def does_advance(self, token_id: int) -> bool:
        """Whether ``token_id`` makes progress."""

    @abstractmethod
    def update(self, token_id: int) -> tuple[bool, bool, bool]:
        """Consume ``token_id``; returns ``(stepped, completed, reset)``."""

    @abstractmethod
    def reset(self) -> None:
        """Forget all progress."""

    @abstractmethod
    def remaining(self) -> int:
        """Tokens still needed to complete."""

    @abstractmethod
    def copy(self, stateful: bool = False) -> Constraint:
        """A new constraint on the same tokens, with this one's progress when ``stateful``."""


class PhrasalConstraint(Constraint):
    """The exact token sequence ``token_ids`` must appear.

    Example:
        >>> c = PhrasalConstraint([4, 7])
        >>> c.advance(), c.update(4), c.advance(), c.remaining()
        (4, (True, False, False), 7, 1)
    """

    def __init__(self, token_ids: list[int]) -> None:
        _check_token_list(token_ids, "token_ids")
        self.token_ids = token_ids
        self.seqlen = len(token_ids)
        self.fulfilled_idx = -1  # index of the last matched token
        self.completed = False

    def advance(self) -> int | None:
        return None if self.completed else self.token_ids[self.fulfilled_idx + 1]

    def does_advance(self, token_id: int) -> bool:
        _check_int(token_id)
        return not self.completed and token_id == self.token_ids[self.fulfilled_idx + 1]

    def update(self, token_id: int) -> tuple[bool, bool, bool]:
        _check_int(token_id)
        if not self.does_advance(token_id):
            self.reset()
            return False, False, True
        self.fulfilled_idx += 1
        self.completed = self.fulfilled_idx == self.seqlen - 1
        return True, self.completed, False

    def reset(self) -> None:
        self.completed = False
        self.fulfilled_idx = -1

    def remaining(self) -> int:
        return self.seqlen - (self.fulfilled_idx + 1)

    def copy(self, stateful: bool = False) -> PhrasalConstraint:
        new = PhrasalConstraint(self.token_ids)
        if stateful:
            new.fulfilled_idx = self.fulfilled_idx
            new.completed = self.completed
        return new


class DisjunctiveTrie:
    """A prefix tree over alternative token sequences (none may be a prefix of another)."""

    def __init__(self, nested_token_ids: list[list[int]], no_subsets: bool = True) -> None:
        self.max_height = max(len(one) for one in nested_token_ids)
        root: dict[int, dict] = {}
        for token_ids in nested_token_ids:
            level = root
            for token_id in token_ids:
                level = level.setdefault(token_id, {})
        if no_subsets and self.count_leaves(root) != len(nested_token_ids):
            raise ValueError(
                f"Each list in `nested_token_ids` can't be a complete subset of another list, but is {nested_token_ids}."
            )
        self.trie = root

    def next_tokens(self, current_seq: list[int]) -> list[int]:
        node = self.trie
        for token in current_seq:
            node = node[token]
        return list(node)

    def reached_leaf(self, current_seq: list[int]) -> bool:
        return not self.next_tokens(current_seq)

    def count_leaves(self, root: dict) -> int:
        return sum(self.count_leaves(child) for child in root.values()) if root else 1


class DisjunctiveConstraint(Constraint):
    """One of the token sequences in ``nested_token_ids`` must appear.

    Example:
        >>> c = DisjunctiveConstraint([[4, 7], [5]])
        >>> sorted(c.advance()), c.update(5), c.completed
        ([4, 5], (True, True, False), True)
    """

    def __init__(self, nested_token_ids: list[list[int]]) -> None:
        if not isinstance(nested_token_ids, list) or len(nested_token_ids) == 0:
            raise ValueError(f"`nested_token_ids` has to be a non-empty list, but is {nested_token_ids}.")
        if any(not isinstance(token_ids, list) for token_ids in nested_token_ids):
            raise ValueError(f"`nested_token_ids` has to be a list of lists, but is {nested_token_ids}.")
        for token_ids in nested_token_ids:
            _check_token_list(token_ids, "nested_token_ids")
        self.trie = DisjunctiveTrie(nested_token_ids)
        self.token_ids = nested_token_ids
        self.seqlen = self.trie.max_height
        self.current_seq: list[int] = []
        self.completed = False

    def advance(self) -> list[int] | None:
        return self.trie.next_tokens(self.current_seq) or None

    def does_advance(self, token_id: int) -> bool:
        _check_int(token_id)
        return token_id in self.trie.next_tokens(self.current_seq)

    def update(self, token_id: int) -> tuple[bool, bool, bool]:
        _check_int(token_id)
        stepped = self.does_advance(token_id)
        if stepped:
            self.current_seq = [*self.current_seq, token_id]
        else:
            self.reset()
        self.completed = self.trie.reached_leaf(self.current_seq)
        return stepped, self.completed, not stepped

    def reset(self) -> None:
        self.completed = False
        self.current_seq = []

    def remaining(self) -> int:
        return 0 if self.completed else self.seqlen - len(self.current_seq)

    def copy(self, stateful: bool = False) -> DisjunctiveConstraint:
        new = DisjunctiveConstraint(self.token_ids)
        if stateful:
            new.current_seq = list(self.current_seq)
            new.completed = self.completed
        return new


class ConstraintListState:
    """Progress of one hypothesis through a list of constraints (at most one in progress at a time).

    Example:
        >>> state = ConstraintListState([PhrasalConstraint([3, 4]), PhrasalConstraint([9])])
        >>> state.reset([3]); state.get_bank(), sorted(state.advance())
        (1, [4])
    """

    def __init__(self, constraints: list[Constraint]) -> None:
        if not constraints:
            raise ValueError("ConstraintListState needs at least one constraint.")
        self.constraints = constraints
        self.max_seqlen = max(c.seqlen for c in constraints)
        self.n_constraints = len(constraints)
        self.completed = False
        self.init_state()

    def init_state(self) -> None:
        self.complete_constraints: list[Constraint] = []
        self.inprogress_constraint: Constraint | None = None
        self.pending_constraints = [constraint.copy(stateful=False) for constraint in self.constraints]

    def get_bank(self) -> int:
        """Progress score: ``max_seqlen`` per completed constraint plus the tokens of the one in progress."""
        partial = 0
        if self.inprogress_constraint is not None:
            partial = self.max_seqlen - self.inprogress_constraint.remaining()
        return len(self.complete_constraints) * self.max_seqlen + partial

    def advance(self) -> list[int] | None:
        """Tokens that would make progress: the in-progress constraint's, else every pending one's."""
        sources = [self.inprogress_constraint] if self.inprogress_constraint is not None else self.pending_constraints
        tokens: list[int] = []
        for constraint in sources:
            step = constraint.advance()
            if isinstance(step, int):
                tokens.append(step)
            elif isinstance(step, list):
                tokens.extend(step)
        return tokens or None

    def reset(self, token_ids: list[int] | None) -> None:
        """Start over and replay ``token_ids``."""
        self.init_state()
        for token in token_ids or ():
            self.add(token)
            if self.completed:
                break

    def add(self, token_id: int) -> tuple[bool, bool]:
        """Feed one token; returns ``(complete, stepped)`` for the constraint it touched."""
        if not isinstance(token_id, int):
            raise TypeError(f"`token_id` should be an `int`, but is `{token_id}`.")
        if self.completed:
            return True, False
        complete = stepped = False
        if self.inprogress_constraint is not None:
            stepped, complete, reset = self.inprogress_constraint.update(token_id)
            if reset:
                # A broken phrase goes back to the pending pool, fresh.
                self.pending_constraints.append(self.inprogress_constraint.copy(stateful=False))
                self.inprogress_constraint = None
            if complete:
                self.complete_constraints.append(self.inprogress_constraint)
                self.inprogress_constraint = None
                self.completed = not self.pending_constraints
            return complete, stepped
        for index, pending in enumerate(self.pending_constraints):
            if not pending.does_advance(token_id):
                continue
            stepped, complete, _ = pending.update(token_id)
            if not stepped:
                raise RuntimeError(
                    f"{type(pending).__name__}.update() made no progress although does_advance() accepted the token."
                )
            if complete:
                self.complete_constraints.append(pending)
            else:
                self.inprogress_constraint = pending
            del self.pending_constraints[index]
            self.completed = not self.pending_constraints and self.inprogress_constraint is None
            break
        return complete, stepped

    def copy(self, stateful: bool = True) -> ConstraintListState:
        new = ConstraintListState(self.constraints)
        if stateful:
            new.complete_constraints = [c.copy(stateful=True) for c in self.complete_constraints]
            if self.inprogress_constraint is not None:
                new.inprogress_constraint = self.inprogress_constraint.copy(stateful=True)
            new.pending_constraints = [c.copy() for c in self.pending_constraints]
        return new


__all__ = ["Constraint", "PhrasalConstraint", "DisjunctiveConstraint", "DisjunctiveTrie", "ConstraintListState"]
