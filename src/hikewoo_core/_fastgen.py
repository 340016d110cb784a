"""A code generator for the *fast* structuring path (pure, private).

For each attrs class it writes one Python function that reads a decoded JSON object
and builds the instance with the checks inlined: ``type(v) is int`` instead of a hook
call per field, money strings turned into :class:`~decimal.Decimal` in place, nested
classes and arrays handled by direct calls to their own generated functions, missing
keys given the attrs default.

The generated code decides nothing on its own. Every check it inlines is a copy of
the hook the converter would call (and is only inlined when the converter's hook *is*
that hook), every other type calls the converter's hook, and anything unusual (a dict
subclass, a non-list array) is handed to the converter's own function. On any
deviation it raises; :class:`hikewoo_core._convert.Converters` then re-runs the
detailed converter, which reports every problem with its JSON path. So the fast path
accepts exactly what the detailed path accepts, and builds equal objects
(``tests/test_fast_path.py`` checks this on generated valid and invalid payloads).
"""

from __future__ import annotations

import itertools
import linecache
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MemberDescriptorType
from typing import Any, NamedTuple, get_args, get_origin

import attrs

from .money import _AMOUNT_LIMIT, _is_plain_amount

__all__ = ["FastKind", "Reject", "make_fast_structure_fn"]

#: How a field type is checked inline: one of ``int``, ``str``, ``bool``, ``money``,
#: ``utc``, ``any``, optionally suffixed with ``?`` for ``T | None``.
FastKind = str

StructureFn = Callable[..., Any]

_counter = itertools.count()


class Reject(Exception):
    """The fast path declines the input; the detailed converter takes over."""


_MISSING = object()

#: Amount strings already parsed, and their ``Decimal`` (immutable, so shared). Only
#: strings that passed the amount check are stored. WooCommerce repeats amounts a lot
#: (``"0.00"``, a product's price); a hit costs a dict lookup instead of the check and a
#: ``Decimal`` parse. Bounded: emptied when full. ``Decimal(str)`` is exact and
#: context-free, so a cached value is always what a fresh parse would give.
_MONEY: dict[str, Decimal] = {}
_MONEY_MAX = 4096


def _is_tuple_of(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


def _optional_arg(t: Any) -> Any | None:
    """``X`` for ``X | None`` (two members, one of them None), else None."""
    args = get_args(t)
    if len(args) == 2 and type(None) in args:
        return args[0] if args[1] is type(None) else args[1]
    return None


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {}
        self._ids: dict[int, str] = {}

    def line(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def bind(self, value: Any, hint: str) -> str:
        """A global name in the generated module bound to ``value``."""
        key = id(value)
        if key in self._ids:
            return self._ids[key]
        name = f"_{hint}_{len(self._ids)}"
        self._ids[key] = name
        self.names[name] = value
        return name


def _check(w: _Writer, ind: int, kind: FastKind, v: str) -> str:
    """Emit the inline check of ``v`` as ``kind``; return the expression of the result.

    ``int``, ``str``, ``bool`` and ``any`` leave ``v`` as it is; ``money`` and ``utc``
    convert it into a variable named after ``v``.
    """
    optional = kind.endswith("?")
    base = kind.rstrip("?")
    if base == "any":
        return v
    if base in ("int", "str", "bool"):
        if optional:
            w.line(ind, f"if {v} is not None and type({v}) is not {base}:")
        else:
            w.line(ind, f"if type({v}) is not {base}:")
        w.line(ind + 1, "raise _Reject")
        return v
    out = f"{v}_"
    if optional:
        w.line(ind, f"if {v} is None:")
        w.line(ind + 1, f"{out} = None")
        w.line(ind, "else:")
        ind += 1
    if base == "money":  # _convert._expect_money, with a cache of the strings seen
        w.line(ind, f"if type({v}) is str:")
        w.line(ind + 1, f"{out} = _money_seen({v})")
        w.line(ind + 1, f"if {out} is None:")
        w.line(ind + 2, f"if _plain_amount({v}) is None:")
        w.line(ind + 3, "raise _Reject")
        w.line(ind + 2, f"{out} = _Decimal({v})")
        w.line(ind + 2, "if len(_MONEY) >= _MONEY_MAX:")
        w.line(ind + 3, "_MONEY.clear()")
        w.line(ind + 2, f"_MONEY[{v}] = {out}")
        w.line(ind, f"elif type({v}) is int and -_AMOUNT_LIMIT < {v} < _AMOUNT_LIMIT:")
        w.line(ind + 1, f"{out} = _Decimal({v})")
        w.line(ind, "else:")
        w.line(ind + 1, f"{out} = _money({v})")
    elif base == "utc":
        w.line(ind, f"{out} = _utc({v})")
    else:  # pragma: no cover - the caller only passes known kinds
        raise ValueError(f"unknown kind {kind!r}")
    return out


def _slot_setters(cl: type, names: list[str]) -> dict[str, Any] | None:
    """Each slot's ``__set__`` (the fastest way to fill a slotted instance), or None."""
    if getattr(cl, "__new__", None) is not object.__new__:
        return None
    setters: dict[str, Any] = {}
    for name in names:
        for klass in cl.__mro__:
            if name in klass.__dict__:
                descriptor = klass.__dict__[name]
                if not isinstance(descriptor, MemberDescriptorType):
                    return None
                setters[name] = descriptor.__set__
                break
        else:
            return None
    return setters


def make_fast_structure_fn(
    cl: type,
    *,
    hook_for: Callable[[Any], StructureFn],
    inline: Mapping[Any, FastKind],
    is_generated: Callable[[Any], bool],
    is_tuple_hook: Callable[[Any], bool],
    optional_hook: Callable[[Any], bool],
    fallback: StructureFn,
    money: Callable[[Any], Decimal],
    utc: Callable[[Any], Any],
    renames: Mapping[str, str] | None = None,
    omit: tuple[str, ...] = (),
) -> StructureFn | None:
    """Generate the fast structuring function of attrs class ``cl``.

    ``hook_for(t)`` is the converter's hook for type ``t``; ``inline`` maps the types
    whose hook is one of the strict primitive hooks to their :data:`FastKind` (the
    caller only lists a type when the converter's hook for it is that very hook).
    ``is_generated(h)`` tells whether hook ``h`` is a function made here (called
    directly, one argument); ``is_tuple_hook(h)`` whether ``h`` is the converter's
    array hook; ``optional_hook(h)`` whether it is cattrs' ``T | None`` dispatch.
    ``fallback(d, cl)`` is the converter's own function, used for anything that is not a
    plain ``dict``. Returns None when the class cannot be generated (a field with a
    ``takes_self`` default, say): the caller keeps the cattrs function.

    A class whose ``__init__`` is the one attrs wrote, with no validators, converters
    or init hooks, is filled slot by slot (what that ``__init__`` does, minus the
    keyword-argument matching); any other class is built by calling it.
    """
    renames = renames or {}
    attrs.resolve_types(cl)
    fields = [a for a in attrs.fields(cl) if a.init]
    for a in fields:
        if isinstance(a.default, attrs.Factory) and a.default.takes_self:  # type: ignore[arg-type]
            return None
        if a.name in omit and a.default is attrs.NOTHING:
            return None
    init: Any = getattr(cl, "__init__", None)
    plain_init = (
        getattr(init, "__code__", None) is not None
        and init.__code__.co_filename.startswith("<attrs generated")
        and not hasattr(cl, "__attrs_pre_init__")
        and not hasattr(cl, "__attrs_post_init__")
        and len(fields) == len(attrs.fields(cl))
        and all(a.validator is None and a.converter is None for a in fields)
    )
    setters = _slot_setters(cl, [a.name for a in fields]) if plain_init else None
    w = _Writer()
    hooks = _Hooks(w, hook_for, is_generated, is_tuple_hook, optional_hook)
    w.names.update(
        {
            "_Reject": Reject,
            "_M": _MISSING,
            "_Decimal": Decimal,
            "_money": money,
            "_MONEY": _MONEY,
            "_MONEY_MAX": _MONEY_MAX,
            "_money_seen": _MONEY.get,
            "_plain_amount": _is_plain_amount,
            "_AMOUNT_LIMIT": _AMOUNT_LIMIT,
            "_utc": utc,
            "_cl": cl,
            "_fallback": fallback,
            "_new": object.__new__,
        }
    )
    fn_name = f"fast_structure_{cl.__name__}"
    w.line(0, f"def {fn_name}(d, _=None):")
    w.line(1, "if type(d) is not dict:")
    w.line(2, "return _fallback(d, _cl)")
    w.line(1, "get = d.get")
    if setters is not None:
        w.line(1, "o = _new(_cl)")
    kwargs: list[str] = []
    for index, a in enumerate(fields):
        v = f"v{index}"
        target = (
            f"{w.bind(setters[a.name], f'set_{a.name}')}(o, {{}})" if setters else f"{v} = {{}}"
        )
        if setters is None:
            kwargs.append(f"{a.alias}={v}")

        def store(ind: int, expr: str, target: str = target) -> None:
            w.line(ind, target.format(expr))

        if a.name in omit:
            store(1, _default_expr(w, a))
            continue
        key = renames.get(a.name, a.name)
        kind = _inline_kind(a.type, inline)
        if a.default is attrs.NOTHING:
            w.line(1, f"{v} = d[{key!r}]")
            store(1, _emit_value(hooks, 1, a.type, v, kind))
        elif kind is not None and _default_passes(a.default, kind):
            # A missing key reads as the default, which passes the check unchanged.
            w.line(1, f"{v} = get({key!r}, {_default_expr(w, a)})")
            store(1, _check(w, 1, kind, v))
        else:
            w.line(1, f"{v} = get({key!r}, _M)")
            w.line(1, f"if {v} is _M:")
            store(2, _default_expr(w, a))
            w.line(1, "else:")
            store(2, _emit_value(hooks, 2, a.type, v, kind))
    if setters is not None:
        w.line(1, "return o")
    else:
        w.line(1, f"return _cl({', '.join(kwargs)})")
    source = "\n".join(w.lines) + "\n"
    filename = f"<hikewoo_core fast structure {cl.__qualname__} #{next(_counter)}>"
    code = compile(source, filename, "exec")
    namespace: dict[str, Any] = dict(w.names)
    exec(code, namespace)  # noqa: S102 - our own generated source, from attrs metadata only
    # Keep the source for tracebacks and profilers, as attrs and cattrs do.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    fn: StructureFn = namespace[fn_name]
    return fn


def _default_passes(default: Any, kind: FastKind) -> bool:
    """Whether the inline check of ``kind`` passes ``default`` through unchanged."""
    base = kind.rstrip("?")
    if default is None:
        return kind.endswith("?") or base == "any"
    return base in ("int", "str", "bool") and type(default).__name__ == base


def _default_expr(w: _Writer, a: attrs.Attribute[Any]) -> str:
    default = a.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return f"{w.bind(getattr(default, 'factory'), 'factory')}()"  # noqa: B009 - for mypy
    if default is None or (type(default) in (bool, int, str) and len(repr(default)) < 40):
        return repr(default)
    return w.bind(default, "default")


class _Hooks(NamedTuple):
    """The writer and what the generator asks the converter about its hooks."""

    w: _Writer
    hook_for: Callable[[Any], StructureFn]
    is_generated: Callable[[Any], bool]
    is_tuple_hook: Callable[[Any], bool]
    optional_hook: Callable[[Any], bool]


def _emit_value(hooks: _Hooks, ind: int, t: Any, v: str, kind: FastKind | None) -> str:
    """Emit the structuring of ``v`` as type ``t``; return the result's expression."""
    w, hook_for, is_generated, is_tuple_hook, optional_hook = hooks
    if kind is not None:
        return _check(w, ind, kind, v)
    hook = hook_for(t)
    if is_generated(hook):
        return f"{w.bind(hook, 'struct')}({v})"
    inner = _optional_arg(t)
    if inner is not None and optional_hook(hook) and is_generated(hook_for(inner)):
        return f"None if {v} is None else {w.bind(hook_for(inner), 'struct')}({v})"
    out = f"{v}_"
    if _is_tuple_of(t) and is_tuple_hook(hook):
        item = get_args(t)[0]
        item_kind = _inline_kind(item, inline=_ITEM_KINDS)
        item_hook = hook_for(item)
        w.line(ind, f"if type({v}) is list:")
        if item_kind is not None and item_kind == getattr(item_hook, "__name__", None):
            w.line(ind + 1, f"{out} = tuple({v})")
            w.line(ind + 1, f"for x in {out}:")
            w.line(ind + 2, f"if type(x) is not {item_kind.removeprefix('_expect_')}:")
            w.line(ind + 3, "raise _Reject")
        elif is_generated(item_hook):
            fn = w.bind(item_hook, "struct")
            w.line(ind + 1, f"{out} = tuple([{fn}(x) for x in {v}]) if {v} else ()")
        else:
            fn, tn = w.bind(item_hook, "hook"), w.bind(item, "type")
            w.line(ind + 1, f"{out} = tuple([{fn}(x, {tn}) for x in {v}]) if {v} else ()")
        w.line(ind, "else:")
        w.line(ind + 1, f"{out} = {w.bind(hook, 'hook')}({v}, {w.bind(t, 'type')})")
        return out
    return f"{w.bind(hook, 'hook')}({v}, {w.bind(t, 'type')})"


# Array items whose check is inlined: the item hook must be the strict hook itself
# (compared by name, ``_expect_int`` and so on, since this module cannot import them).
_ITEM_KINDS: Mapping[Any, str] = {int: "_expect_int", str: "_expect_str", bool: "_expect_bool"}


def _inline_kind(t: Any, inline: Mapping[Any, Any]) -> Any:
    try:
        return inline.get(t)
    except TypeError:  # pragma: no cover - an unhashable annotation
        return None
