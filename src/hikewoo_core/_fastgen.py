"""A code generator for the *fast* structuring path (pure, private).

For each attrs class it writes one Python function that reads a decoded JSON object
and builds the instance with the checks inlined: ``type(v) is int`` instead of a hook
call per field, money strings turned into :class:`~decimal.Decimal` in place (through
caches of the amounts seen), nested classes handled by direct calls to their own
generated functions, the items of arrays of objects built in a loop written in line
(an order's lines, and each line's meta entries: no call per item), missing keys given
the attrs default, and the keys the caller says are always sent read in one go.

The generated code decides nothing on its own. Every check it inlines is a copy of
the hook the converter would call (and is only inlined when the converter's hook *is*
that hook), every other type calls the converter's hook, and anything unusual (a dict
subclass, a non-list array) is handed to the converter's own function. On any
deviation it raises; :class:`hikewoo_core._convert.Converters` then re-runs the
detailed converter, which reports every problem with its JSON path. So the fast path
accepts exactly what the detailed path accepts, and builds equal objects
(``tests/test_fast_path.py`` checks this on generated valid and invalid payloads).

Each class gets up to three functions, all from the same field list and checks:

- ``"eager"``: builds the whole object;
- ``"check"``: the same checks, building nothing (returns ``None``);
- ``"lazy"``: builds the object, except the fields made :func:`deferred` on the model,
  which it checks (the item class's checks written in line) and keeps as JSON in their
  slot, for :class:`DeferredSlot` to build on first read. Only for payloads that
  nothing else holds (decoded from bytes by the parser itself), since the object keeps
  that JSON.

**How an instance is filled.** A slotted attrs class whose ``__init__`` is the one
attrs wrote (no validators, converters or hooks) is not built through ``__init__``:
the generated code creates an instance of a private subclass that adds nothing but
plain ``__setattr__`` (a *builder*), stores each field with an ordinary attribute
store (CPython's fastest store, into the same slots), then sets ``__class__`` to the
model class. The builder has the model's exact memory layout (``__slots__ = ()``), so
the object is, from then on, an ordinary instance of the model. Storing a field this
way costs about 4 ns, against about 45 ns through the slot descriptor's ``__set__``
(which the generated code used before), and creating and retyping the instance about
70 ns. Any other class is built by calling it. (A builder is a subclass: it shows in
the model's ``__subclasses__()``; no instance of it ever leaves the generated code.)
"""

from __future__ import annotations

import itertools
import linecache
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MemberDescriptorType
from typing import Any, Literal, NamedTuple, TypeVar, get_args, get_origin

import attrs

from ._errors import PayloadError
from ._money import _AMOUNT_LIMIT, _is_plain_amount

__all__ = [
    "DeferredSlot",
    "FastKind",
    "KeysOf",
    "Mode",
    "Reject",
    "deferred",
    "make_fast_structure_fn",
    "reaches_deferred",
]

#: How a field type is checked inline: one of ``int``, ``str``, ``bool``, ``money``,
#: ``utc``, ``any``, optionally suffixed with ``?`` for ``T | None``.
FastKind = str
#: What a generated function does: build everything, check only, or defer some fields.
Mode = Literal["eager", "check", "lazy"]
#: A class's ``(renames, omit, sent)``: its attributes' JSON keys, the attributes not
#: read, and the (optional) attributes whose keys the server always sends.
KeysOf = Callable[[type], tuple[Mapping[str, str], tuple[str, ...], frozenset[str]]]

StructureFn = Callable[..., Any]
K = TypeVar("K")

_counter = itertools.count()


class Reject(Exception):
    """The fast path declines the input; the detailed converter takes over."""


_MISSING = object()
#: Each class's builder (see the module's docstring), or None: made once per class.
_BUILDERS: dict[type, type | None] = {}


def _kept(cache: dict[K, Decimal], key: K, amount: Decimal) -> Decimal:
    """Keep ``amount`` in ``cache`` under ``key`` (emptying the cache first when it is
    full); ``amount``."""
    if len(cache) >= _MONEY_MAX:
        cache.clear()
    cache[key] = amount
    return amount


class _AmountCache(dict[str, Decimal]):
    """Amount strings already parsed, and their ``Decimal``: ``cache[text]`` is the
    amount, checked and parsed on a miss (:class:`Reject` if ``text`` is not one)."""

    __slots__ = ()

    def __missing__(self, text: str) -> Decimal:
        if _is_plain_amount(text) is None:
            raise Reject
        return _kept(self, text, Decimal(text))


class _IntegerAmountCache(dict[int, Decimal]):
    """JSON integers already read as amounts: ``cache[n]`` is ``Decimal(n)``, checked
    and made on a miss (:class:`Reject` if ``n`` is not an amount)."""

    __slots__ = ()

    def __missing__(self, number: int) -> Decimal:
        if not -_AMOUNT_LIMIT < number < _AMOUNT_LIMIT:
            raise Reject
        return _kept(self, number, Decimal(number))


#: Amounts already parsed, and their ``Decimal`` (immutable, so shared). Only values
#: that passed the amount check are stored. WooCommerce repeats amounts a lot
#: (``"0.00"``, a product's price); a hit costs a dict lookup instead of the check and a
#: ``Decimal`` parse. Bounded: emptied when full. ``Decimal(str)`` and ``Decimal(int)``
#: are exact and context-free, so a cached value is always what a fresh parse would
#: give. Strings, integers and floats have a dict each, and the generated code checks
#: the type before the lookup: ``3``, ``3.0`` and ``True`` are equal keys, but not the
#: same amount (``Decimal('3')``, ``Decimal('3.0')``, refused).
_MONEY_MAX = 4096
_MONEY = _AmountCache()
_MONEY_INT = _IntegerAmountCache()
_MONEY_FLOAT: dict[float, Decimal] = {}


def _money_other(money: Callable[[Any], Decimal]) -> Callable[[Any], Decimal]:
    """An amount that is neither a string nor an integer (a JSON float, or anything
    else, which ``money`` refuses): ``money(value)``, floats through a cache."""

    def other(value: Any) -> Decimal:
        # Not 0.0: it equals -0.0 as a key, and Decimal('-0.0') prints differently.
        if type(value) is float and value:
            out = _MONEY_FLOAT.get(value)
            if out is None:
                out = money(value)  # NaN and infinities raise: never stored
                if len(_MONEY_FLOAT) >= _MONEY_MAX:
                    _MONEY_FLOAT.clear()
                _MONEY_FLOAT[value] = out
            return out
        return money(value)

    return other


# --- deferred fields -------------------------------------------------------------------


class _Given:
    """A value a caller passed for a deferred field that has the type of the field's
    JSON (a ``list``, a ``dict``): kept as given, never taken for JSON to build."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class DeferredSlot:
    """The class attribute of a deferred field (see :func:`deferred`).

    The slot holds the field's value, or, in an instance a ``"lazy"`` function filled,
    the field's JSON (already checked), which the first read builds with :attr:`build`
    and stores in its place. Every reader (attribute access, ``==``, ``hash``,
    ``repr``, pickling, :func:`attrs.evolve`, cattrs) goes through :meth:`__get__`, so
    none ever sees the JSON. The generated code stores the JSON into the slot itself;
    everything else stores through :meth:`__set__`, which marks a ``list`` or ``dict``
    as given (a caller's value, returned as it is), so that JSON in the slot can only
    come from a parser.
    """

    __slots__ = ("build", "json_type", "member", "name", "owner")

    def __init__(self, member: MemberDescriptorType, name: str, owner: type, json_type: type):
        self.member = member
        self.name = name
        self.owner = owner
        #: ``list`` (an array field) or ``dict`` (an object field).
        self.json_type = json_type
        #: Builds the value from its JSON: the first converter to defer the field sets it
        #: (another converter with another function builds the field at once).
        self.build: Callable[[Any], Any] | None = None

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = self.member.__get__(obj, owner)
        kind = type(value)
        if kind is self.json_type:
            value = self._built(obj, value)
        elif kind is _Given:
            value = value.value
        return value

    def _built(self, obj: object, raw: Any) -> Any:
        try:
            value = self.build(raw)  # type: ignore[misc]
        except Exception as exc:  # noqa: BLE001 - reported as the library's error
            # Unreachable by design: the JSON passed the same checks when it was parsed.
            problem = (f"$.{self.name}", f"could not be read ({type(exc).__name__}: {exc})")
            raise PayloadError([problem], what=self.owner.__name__) from None
        self.member.__set__(obj, value)
        return value

    def __set__(self, obj: object, value: Any) -> None:
        self.member.__set__(obj, _Given(value) if type(value) is self.json_type else value)

    def __delete__(self, obj: object) -> None:
        self.member.__delete__(obj)


def deferred(cls: type, *names: str) -> None:
    """Make fields ``names`` of slotted attrs class ``cls`` deferred: the ``"lazy"``
    function of a converter checks their JSON and keeps it, to build on first read.

    A field can be deferred when its type is ``tuple[C, ...]``, ``C`` or ``C | None``
    for an attrs class ``C`` (the generated code can check those alone, and their JSON
    is a ``list`` or a ``dict``, never the field's type).
    """
    if cls in _BUILDERS:  # its builder stores through the slots it had
        raise RuntimeError(f"{cls.__name__}: defer fields before any parser is generated")
    attrs.resolve_types(cls)
    types = {a.name: a.type for a in attrs.fields(cls)}
    for name in names:
        member = cls.__dict__.get(name)
        if not isinstance(member, MemberDescriptorType):
            raise TypeError(f"{cls.__name__}.{name} is not a slot")
        t = types[name]
        inner = _optional_arg(t)
        if _is_tuple_of(t) and attrs.has(get_args(t)[0]):
            json_type: type = list
        elif attrs.has(t) or (inner is not None and attrs.has(inner)):
            json_type = dict
        else:
            raise TypeError(f"{cls.__name__}.{name}: a field of type {t!r} cannot be deferred")
        setattr(cls, name, DeferredSlot(member, name, cls, json_type))


def _is_deferred(cl: type, name: str) -> bool:
    return isinstance(cl.__dict__.get(name), DeferredSlot)


def _slot(cl: type, name: str) -> DeferredSlot:
    slot = cl.__dict__[name]
    assert isinstance(slot, DeferredSlot)  # noqa: S101 - the caller checked
    return slot


def reaches_deferred(cl: type, _seen: set[type] | None = None) -> bool:
    """Whether attrs class ``cl``, or a class in one of its fields' types, has a
    deferred field (if not, its ``"lazy"`` function is its ``"eager"`` one)."""
    seen = set() if _seen is None else _seen
    seen.add(cl)
    attrs.resolve_types(cl)
    for a in attrs.fields(cl):
        if _is_deferred(cl, a.name):
            return True
        stack = [a.type]
        while stack:
            t = stack.pop()
            stack.extend(get_args(t))
            is_class = isinstance(t, type) and attrs.has(t)
            if is_class and t not in seen and reaches_deferred(t, seen):
                return True
    return False


# --- generation ------------------------------------------------------------------------


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
    if base == "money":  # _convert._expect_money, with caches of the amounts seen
        w.line(ind, f"if type({v}) is str:")
        w.line(ind + 1, f"{out} = _MONEY[{v}]")
        w.line(ind, f"elif type({v}) is int:")
        w.line(ind + 1, f"{out} = _MONEY_INT[{v}]")
        w.line(ind, "else:")
        w.line(ind + 1, f"{out} = _money_other({v})")
    elif base == "utc":
        w.line(ind, f"{out} = _utc({v})")
    else:  # pragma: no cover - the caller only passes known kinds
        raise ValueError(f"unknown kind {kind!r}")
    return out


def _builder_of(cl: type) -> type | None:
    """The builder of ``cl`` (made once), or None when ``cl`` must be built by a call:
    its ``__init__`` is not the plain one attrs writes (validators, converters, hooks)."""
    if cl in _BUILDERS:
        return _BUILDERS[cl]
    fields = [a for a in attrs.fields(cl) if a.init]
    init: Any = getattr(cl, "__init__", None)
    plain_init = (
        getattr(init, "__code__", None) is not None
        and init.__code__.co_filename.startswith("<attrs generated")
        and not hasattr(cl, "__attrs_pre_init__")
        and not hasattr(cl, "__attrs_post_init__")
        and len(fields) == len(attrs.fields(cl))
        and all(a.validator is None and a.converter is None for a in fields)
    )
    builder = _BUILDERS[cl] = _builder(cl, fields) if plain_init else None
    return builder


def _builder(cl: type, fields: list[attrs.Attribute[Any]]) -> type | None:
    """A subclass of ``cl`` that only adds plain attribute stores, or None.

    An instance of it is filled with ``o.name = value`` (into ``cl``'s own slots: the
    builder adds none) and then becomes a ``cl`` by ``o.__class__ = cl``.
    """
    if getattr(cl, "__new__", None) is not object.__new__ or "__slots__" not in cl.__dict__:
        return None
    namespace: dict[str, Any] = {
        "__slots__": (),
        "__init__": object.__init__,  # so that _B() is object.__new__(_B), but faster
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
        "__module__": cl.__module__,
        "__doc__": f"Fills {cl.__qualname__} instances (hikewoo_core._fastgen).",
    }
    for a in fields:
        if not a.name.isidentifier() or a.name.startswith("__"):
            return None
        for klass in cl.__mro__:
            if a.name in klass.__dict__:
                descriptor = klass.__dict__[a.name]
                if isinstance(descriptor, DeferredSlot):
                    namespace[a.name] = descriptor.member  # store into the slot directly
                elif not isinstance(descriptor, MemberDescriptorType):
                    return None
                break
        else:
            return None
    try:
        builder = type(f"{cl.__name__}Builder", (cl,), namespace)
        probe = object.__new__(builder)
        probe.__class__ = cl  # the layouts must match, or this raises TypeError
    except TypeError:  # pragma: no cover - a class with an unusual layout
        return None
    return builder


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
    mode: Mode = "eager",
    variant: Callable[[Any, Mode], StructureFn] | None = None,
    keys_of: KeysOf | None = None,
    sent: frozenset[str] = frozenset(),
) -> StructureFn | None:
    """Generate the fast structuring function of attrs class ``cl``.

    ``hook_for(t)`` is the converter's hook for type ``t``; ``inline`` maps the types
    whose hook is one of the strict primitive hooks to their :data:`FastKind` (the
    caller only lists a type when the converter's hook for it is that very hook).
    ``is_generated(h)`` tells whether hook ``h`` is an ``"eager"`` function made here
    (called directly, one argument); ``is_tuple_hook(h)`` whether ``h`` is the
    converter's array hook; ``optional_hook(h)`` whether it is cattrs' ``T | None``
    dispatch. ``fallback(d, cl)`` is the converter's own function, used for anything
    that is not a plain ``dict``. ``mode`` is the kind of function (see the module's
    docstring); for ``"check"`` and ``"lazy"``, ``variant(h, mode)`` is the function of
    that mode for generated hook ``h``; ``keys_of(c)`` is ``(renames, omit)`` of class
    ``c`` (lets a ``"lazy"`` function check deferred items in line, and any function
    build array items in line). ``sent`` names optional attributes whose keys the server
    always sends: they are read together, one subscript each (``d["name"]``, 7 ns,
    rather than ``d.get("name", "")``, 20 ns), and if one is missing, all of them are
    read again with ``get`` (about 0.5 µs more for that object). Returns None when the
    class cannot be generated (a field with a ``takes_self`` default, say): the caller
    keeps the cattrs function.
    """
    renames = renames or {}
    attrs.resolve_types(cl)
    fields = [a for a in attrs.fields(cl) if a.init]
    for a in fields:
        if isinstance(a.default, attrs.Factory) and a.default.takes_self:  # type: ignore[arg-type]
            return None
        if a.name in omit and a.default is attrs.NOTHING:
            return None
    if mode != "eager" and variant is None:
        raise ValueError(f"mode {mode!r} needs variant=")
    builder = _builder_of(cl) if mode != "check" else None
    w = _Writer()
    hooks = _Hooks(
        w, hook_for, is_generated, is_tuple_hook, optional_hook, mode, variant, inline, keys_of, 0
    )
    w.names.update(
        {
            "_Reject": Reject,
            "_M": _MISSING,
            "_MONEY": _MONEY,
            "_MONEY_INT": _MONEY_INT,
            "_money_other": _money_other(money),
            "_utc": utc,
            "_cl": cl,
            "_B": builder,
            "_fallback": fallback,
        }
    )
    fn_name = f"fast_{mode}_{cl.__name__}"
    w.line(0, f"def {fn_name}(d, _=None):")
    w.line(1, "if type(d) is not dict:")
    w.line(2, "return _fallback(d, _cl)")
    if builder is not None:
        w.line(1, "o = _B()")
    kwargs = _emit_fields(
        hooks, cl, fields, renames, omit, sent=sent, d="d", prefix="v", ind=1, builder=builder
    )
    if mode == "check":
        w.line(1, "return None")
    elif builder is not None:
        w.line(1, "o.__class__ = _cl")
        w.line(1, "return o")
    else:
        w.line(1, f"return _cl({', '.join(kwargs)})")
    source = "\n".join(w.lines) + "\n"
    filename = f"<hikewoo_core fast {mode} {cl.__qualname__} #{next(_counter)}>"
    code = compile(source, filename, "exec")
    namespace: dict[str, Any] = dict(w.names)
    exec(code, namespace)  # noqa: S102 - our own generated source, from attrs metadata only
    # Keep the source for tracebacks and profilers, as attrs and cattrs do.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    fn: StructureFn = namespace[fn_name]
    return fn


def _emit_fields(
    hooks: _Hooks,
    cl: type,
    fields: list[attrs.Attribute[Any]],
    renames: Mapping[str, str],
    omit: tuple[str, ...],
    *,
    sent: frozenset[str],
    d: str,
    prefix: str,
    ind: int,
    builder: type | None,
    obj: str = "o",
) -> list[str]:
    """Emit the reading of every field of ``cl`` from the dict named ``d``, in variables
    ``{prefix}0``, ``{prefix}1``..., stored into the builder instance named ``obj``;
    return the keyword arguments of the call of ``cl`` (when there is no builder and the
    mode builds). The keys of the fields in ``sent`` are read first, together."""
    w, mode = hooks.w, hooks.mode
    kwargs: list[str] = []
    fetch: dict[str, str] = {}  # variable: the arguments of its get
    together: list[tuple[str, str]] = []  # variable, key: the fields in ``sent``
    for index, a in enumerate(fields):
        if a.name in omit or a.default is attrs.NOTHING:
            continue
        v, key = f"{prefix}{index}", repr(renames.get(a.name, a.name))
        kind = _inline_kind(a.type, hooks.inline)
        passes = kind is not None and _default_passes(a.default, kind)
        fetch[v] = f"{key}, {_default_expr(w, a) if passes else '_M'}"
        if a.name in sent:
            together.append((v, key))
    if together:
        w.line(ind, "try:")
        for v, key in together:
            w.line(ind + 1, f"{v} = {d}[{key}]")
        w.line(ind, "except KeyError:  # one of the keys always sent is missing")
        for v, _ in together:
            w.line(ind + 1, f"{v} = {d}.get({fetch[v]})")
    read_together = {v for v, _ in together}
    for index, a in enumerate(fields):
        v = f"{prefix}{index}"
        if mode == "check":
            target = "{}"
        elif builder is not None:
            target = f"{obj}.{a.name} = {{}}"
        else:
            target = f"{v} = {{}}"
            kwargs.append(f"{a.alias}={v}")

        def store(at: int, expr: str, target: str = target) -> None:
            if mode != "check":
                w.line(at, target.format(expr))
            elif not expr.isidentifier():  # a call, whose checks must run
                w.line(at, expr)

        if a.name in omit:
            if mode != "check":
                store(ind, _default_expr(w, a))
            continue
        key = renames.get(a.name, a.name)
        kind = _inline_kind(a.type, hooks.inline)
        if a.default is attrs.NOTHING:
            w.line(ind, f"{v} = {d}[{key!r}]")
            store(ind, _emit_value(hooks, ind, a.type, v, kind))
        elif kind is not None and _default_passes(a.default, kind):
            # A missing key reads as the default, which passes the check unchanged.
            if v not in read_together:
                w.line(ind, f"{v} = {d}.get({fetch[v]})")
            store(ind, _check(w, ind, kind, v))
        else:
            if v not in read_together:
                w.line(ind, f"{v} = {d}.get({fetch[v]})")
            w.line(ind, f"if {v} is _M:")
            if mode == "check":
                w.line(ind + 1, "pass")
            else:
                store(ind + 1, _default_expr(w, a))
            if mode == "lazy" and builder is not None and _is_deferred(cl, a.name):
                _emit_deferred(hooks, _slot(cl, a.name), a.type, v, ind=ind, obj=obj)
            w.line(ind, "else:")
            before = len(w.lines)
            store(ind + 1, _emit_value(hooks, ind + 1, a.type, v, kind))
            if len(w.lines) == before:  # an ``Any`` field, checked: nothing to run
                w.line(ind + 1, "pass")
    return kwargs


def _emit_deferred(
    hooks: _Hooks, slot: DeferredSlot, t: Any, v: str, *, ind: int, obj: str
) -> None:
    """Emit the ``elif`` branch that checks ``v`` and keeps it in the slot, for the JSON
    worth deferring (a non-empty array, an object); any other value takes the ``else``
    (built at once, or refused). The checks of the item class are written in line (no
    call per item) when the converter told its keys (``keys_of``)."""
    w, hook_for, is_generated = hooks.w, hooks.hook_for, hooks.is_generated
    assert hooks.variant is not None  # noqa: S101 - make_fast_structure_fn checked it
    hook = hook_for(t)
    inner = _optional_arg(t)
    if _is_tuple_of(t) and hooks.is_tuple_hook(hook) and is_generated(hook_for(get_args(t)[0])):
        build = hook  # the array hook: a tuple of what the eager item function builds
        item_cls = get_args(t)[0]
    elif is_generated(hook) or (
        inner is not None and hooks.optional_hook(hook) and is_generated(hook_for(inner))
    ):
        item_cls = t if is_generated(hook) else inner
        build = hook_for(item_cls)
    else:
        raise TypeError(f"a field of type {t!r} cannot be deferred")
    if slot.build is None:
        slot.build = build
    elif slot.build is not build:
        return  # deferred by another converter, which builds it: build it at once here
    check = w.bind(hooks.variant(hook_for(item_cls), "check"), "check")
    if slot.json_type is list:
        w.line(ind, f"elif type({v}) is list and {v}:")
        w.line(ind + 1, f"for {v}x in {v}:")
        _emit_item_check(hooks, item_cls, check, f"{v}x", ind + 2)
    else:
        w.line(ind, f"elif type({v}) is dict:")
        _emit_item_check(hooks, item_cls, check, v, ind + 1, known_dict=True)
    w.line(ind + 1, f"{obj}.{slot.name} = {v}  # kept: DeferredSlot builds it on first read")


def _emit_item_check(
    hooks: _Hooks, cl: type, check: str, x: str, ind: int, *, known_dict: bool = False
) -> None:
    """Emit the checks of JSON object ``x`` as attrs class ``cl``: in line when ``x`` is
    a plain dict (``known_dict``: the caller checked) and the converter told ``cl``'s
    keys, else by a call of ``check``."""
    w = hooks.w
    if hooks.keys_of is None:
        w.line(ind, f"{check}({x})")
        return
    renames, omit, sent = hooks.keys_of(cl)
    fields = [a for a in attrs.fields(cl) if a.init]
    if any(a.name in omit and a.default is attrs.NOTHING for a in fields):
        w.line(ind, f"{check}({x})")  # pragma: no cover - the check function refuses
        return
    if not known_dict:
        w.line(ind, f"if type({x}) is not dict:")
        w.line(ind + 1, f"{check}({x})")  # the converter's own function judges it
        w.line(ind, "else:")
        ind += 1
    before = len(w.lines)
    _emit_fields(
        hooks._replace(mode="check"), cl, fields, renames, omit,
        sent=sent, d=x, prefix=f"{x}_", ind=ind, builder=None,
    )  # fmt: skip
    if len(w.lines) == before:  # pragma: no cover - a class without fields
        w.line(ind, "pass")


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
    if default == () and type(default) is tuple:
        return "()"
    return w.bind(default, "default")


class _Hooks(NamedTuple):
    """The writer, the mode, and what the generator asks the converter about its hooks."""

    w: _Writer
    hook_for: Callable[[Any], StructureFn]
    is_generated: Callable[[Any], bool]
    is_tuple_hook: Callable[[Any], bool]
    optional_hook: Callable[[Any], bool]
    mode: Mode
    variant: Callable[[Any, Mode], StructureFn] | None
    inline: Mapping[Any, FastKind]
    keys_of: KeysOf | None
    #: How many array item classes the code being written is inside (written in line).
    depth: int

    def generated(self, hook: Any) -> str:
        """The name of the function of this mode for generated hook ``hook``."""
        if self.mode == "eager" or self.variant is None:
            return self.w.bind(hook, "struct")
        return self.w.bind(self.variant(hook, self.mode), self.mode)


def _emit_value(hooks: _Hooks, ind: int, t: Any, v: str, kind: FastKind | None) -> str:
    """Emit the structuring of ``v`` as type ``t``; return the result's expression
    (in ``"check"`` mode, an expression whose evaluation runs the checks)."""
    w, hook_for, is_generated, is_tuple_hook, optional_hook = hooks[:5]
    if kind is not None:
        return _check(w, ind, kind, v)
    hook = hook_for(t)
    if is_generated(hook):
        return f"{hooks.generated(hook)}({v})"
    inner = _optional_arg(t)
    if inner is not None and optional_hook(hook) and is_generated(hook_for(inner)):
        return f"None if {v} is None else {hooks.generated(hook_for(inner))}({v})"
    out = f"{v}_"
    if _is_tuple_of(t) and is_tuple_hook(hook):
        item = get_args(t)[0]
        item_kind = _inline_kind(item, inline=_ITEM_KINDS)
        item_hook = hook_for(item)
        w.line(ind, f"if type({v}) is list:")
        if item_kind is not None and item_kind == getattr(item_hook, "__name__", None):
            w.line(ind + 1, f"for x in {v}:")
            w.line(ind + 2, f"if type(x) is not {item_kind.removeprefix('_expect_')}:")
            w.line(ind + 3, "raise _Reject")
            w.line(ind + 1, f"{out} = tuple({v})")
        elif is_generated(item_hook):
            fn = hooks.generated(item_hook)
            if hooks.mode == "check":
                w.line(ind + 1, f"for x in {v}:")
                w.line(ind + 2, f"{fn}(x)")
                w.line(ind + 1, f"{out} = None")
            elif not _emit_items_in_line(hooks, item, fn, v, out=out, ind=ind + 1):
                w.line(ind + 1, f"{out} = tuple(map({fn}, {v})) if {v} else ()")
        else:
            fn, tn = w.bind(item_hook, "hook"), w.bind(item, "type")
            w.line(ind + 1, f"{out} = tuple([{fn}(x, {tn}) for x in {v}]) if {v} else ()")
        w.line(ind, "else:")
        w.line(ind + 1, f"{out} = {w.bind(hook, 'hook')}({v}, {w.bind(t, 'type')})")
        return out
    return f"{w.bind(hook, 'hook')}({v}, {w.bind(t, 'type')})"


#: How deep array items are written in line (an order's lines, a line's meta entries).
_INLINE_DEPTH = 2


def _emit_items_in_line(hooks: _Hooks, cl: type, fn: str, v: str, *, out: str, ind: int) -> bool:
    """Emit the building of the items of list ``v`` as ``cl`` into tuple ``out``, each
    item's code written in line (a loop, not a call per item), when ``cl`` has a
    builder and the converter told its keys; return False (nothing emitted) if not.

    The code is that of ``cl``'s function ``fn`` (of the same mode), which still takes
    any item that is not a plain dict (for the converter's own function to judge)."""
    if hooks.keys_of is None or hooks.depth >= _INLINE_DEPTH:
        return False
    builder = _builder_of(cl)
    renames, omit, sent = hooks.keys_of(cl)
    fields = [a for a in attrs.fields(cl) if a.init]
    if builder is None or any(
        (a.name in omit and a.default is attrs.NOTHING)
        or (isinstance(a.default, attrs.Factory) and a.default.takes_self)  # type: ignore[arg-type]
        for a in fields
    ):
        return False
    w = hooks.w
    b, c = w.bind(builder, "builder"), w.bind(cl, "cls")
    x, o, acc = f"{v}x", f"{v}o", f"{v}a"
    w.line(ind, f"if {v}:")
    w.line(ind + 1, f"{acc} = []")
    w.line(ind + 1, f"for {x} in {v}:")
    w.line(ind + 2, f"if type({x}) is not dict:")
    w.line(ind + 3, f"{acc}.append({fn}({x}))")
    w.line(ind + 3, "continue")
    w.line(ind + 2, f"{o} = {b}()")
    _emit_fields(
        hooks._replace(depth=hooks.depth + 1), cl, fields, renames, omit,
        sent=sent, d=x, prefix=f"{x}_", ind=ind + 2, builder=builder, obj=o,
    )  # fmt: skip
    w.line(ind + 2, f"{o}.__class__ = {c}")
    w.line(ind + 2, f"{acc}.append({o})")
    w.line(ind + 1, f"{out} = tuple({acc})")
    w.line(ind, "else:")
    w.line(ind + 1, f"{out} = ()")
    return True


# Array items whose check is inlined: the item hook must be the strict hook itself
# (compared by name, ``_expect_int`` and so on, since this module cannot import them).
_ITEM_KINDS: Mapping[Any, str] = {int: "_expect_int", str: "_expect_str", bool: "_expect_bool"}


def _inline_kind(t: Any, inline: Mapping[Any, Any]) -> Any:
    try:
        return inline.get(t)
    except TypeError:  # pragma: no cover - an unhashable annotation
        return None
