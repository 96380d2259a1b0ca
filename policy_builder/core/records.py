"""`record`: dataclasses' ``@dataclass``, with equality, hash and repr shared functions, not compiled per class.

For every class ``@dataclass(frozen=True)`` compiles six methods from generated source when the module is
imported (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``), about
1.3 ms a class: some 50 ms of every run's start over the classes a build imports. ``@record(...)`` takes
the same arguments and makes the same class, but asks dataclasses only for ``__init__`` (and, frozen,
``__setattr__`` and ``__delattr__``), and gives it ``__eq__``, ``__hash__`` and ``__repr__`` that do what
dataclasses' own do, field for field (Python 3.11's dataclasses.py):

- ``__eq__``: the fields with ``compare`` as one tuple against the other's, for an object of the very same
  class; ``NotImplemented`` for any other;
- ``__hash__``: the hash of the tuple of the fields with ``hash`` (``compare`` when ``hash`` is None) for a
  frozen class; None (unhashable) for one that is not, as dataclasses set it;
- ``__repr__``: ``Name(field=value!r, ...)`` of the fields with ``repr``, '...' for itself inside itself.

A class that asks for anything else (``order``, ``unsafe_hash``, ``eq`` or ``repr`` off, or its own
``__eq__``, ``__hash__`` or ``__repr__``) is made by dataclasses alone, as before. Type checkers see
dataclasses' own decorator (the import below), so mypy checks a record exactly as a dataclass.
"""

from __future__ import annotations

import dataclasses
from operator import attrgetter
from threading import get_ident
from typing import TYPE_CHECKING, Any

__all__ = ["record"]

if TYPE_CHECKING:
    from dataclasses import dataclass as record
else:

    def record(cls: type | None = None, /, **options: Any) -> Any:
        """``@record``, ``@record(frozen=True)``, ...: see the module's docstring."""

        def wrap(cls: type) -> type:
            return _record(cls, **options)

        return wrap if cls is None else wrap(cls)


_OWN = ("__eq__", "__hash__", "__repr__")


def _record(cls: type, *, eq: bool = True, repr: bool = True, **options: Any) -> type:  # noqa: A002 - dataclass's names
    if not (eq and repr) or options.get("order") or options.get("unsafe_hash") or any(n in cls.__dict__ for n in _OWN):
        return dataclasses.dataclass(cls, eq=eq, repr=repr, **options)
    made: type = dataclasses.dataclass(cls, eq=False, repr=False, **options)
    fields = dataclasses.fields(made)
    compared = _values([f.name for f in fields if f.compare])
    hashed = _values([f.name for f in fields if (f.compare if f.hash is None else f.hash)])
    shown = [(f.name, attrgetter(f.name)) for f in fields if f.repr]

    def __eq__(self: Any, other: Any) -> Any:  # noqa: N807 - the method's own name
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: Any) -> int:  # noqa: N807
        return hash(hashed(self))

    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:  # noqa: N807
        key = id(self), get_ident()
        if key in running:
            return "..."
        running.add(key)
        try:
            shows: str = self.__class__.__qualname__ + "(" + ", ".join(f"{n}={get(self)!r}" for n, get in shown) + ")"
            return shows
        finally:
            running.discard(key)

    methods: dict[str, Any] = {"__eq__": __eq__, "__repr__": __repr__}
    methods["__hash__"] = __hash__ if options.get("frozen") else None
    for name, method in methods.items():
        if method is not None:
            method.__qualname__ = f"{made.__qualname__}.{name}"
        setattr(made, name, method)
    return made


def _values(names: list[str]) -> Any:
    """A function giving an object's values of ``names`` as a tuple (attrgetter gives one name's value bare)."""
    if not names:
        return lambda _obj: ()
    if len(names) == 1:
        get = attrgetter(names[0])
        return lambda obj: (get(obj),)
    return attrgetter(*names)
