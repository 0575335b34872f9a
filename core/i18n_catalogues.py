"""The catalogue tooling behind ``manage.py i18n``: extract messages per package, update and check the ``.po`` files.

A package is a directory with its own ``locale/`` (``core``, ``admin_ui``, each ``plugins/<name>``, a third-party
plugin's package). Extracted from Python (an AST walk, not a tokenizer, so keyword arguments are understood):

* ``_()``, ``gettext``, ``lazy_gettext``, ``N_``/``gettext_noop``; ``ngettext``/``lazy_ngettext`` (both forms);
* the message of every ``core.errors`` class (and a plugin's subclasses) raised with a literal, positional or
  ``detail=``; the ``title`` of those classes; ``problem(status, code, title, detail)``;
* the ``detail`` of ``{"pointer": ..., "detail": "..."}`` entries (``errors[]`` of a problem);
* the text fields (``label``, ``title``, ``help``, ``confirm``, ``message``, ``section``, ``description``, choice
  labels) of core's declarative types (``core.admin``, ``NotificationKind``, ``Permission``), translated where shown.

Templates (``templates/**``, Jinja2) through Jinja's own Babel extractor (``{% trans %}``, ``_()``, ``ngettext``).
An f-string given to an error class is reported: it cannot be translated (use ``%(name)s`` and ``params=``).
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

from core import admin, errors, i18n, notifications, permissions
from core.reports import types as report_types

ROOT = Path(__file__).resolve().parent.parent
TARGET_LANGUAGES = tuple(lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT)
SINGULAR = {"_", "gettext", "lazy_gettext", "N_", "gettext_noop", "_l"}
PLURAL = {"ngettext", "lazy_ngettext"}
TEXT_FIELDS = {"label", "title", "help", "confirm", "message", "section", "placeholder", "summary", "hint", "empty",
               "description"}
JINJA_KEYWORDS = ["_", "gettext", "ngettext", "pgettext", "npgettext"]
JINJA_OPTIONS = {"trim_blocks": "true", "lstrip_blocks": "true", "extensions": "jinja2.ext.i18n"}
SKIP_DIRS = {"locale", "piccolo_migrations", "scaffold", "__pycache__", "static", "node_modules"}


@dataclass
class Package:
    """A directory of code and templates and the ``locale/`` beside it."""

    name: str
    path: Path

    @property
    def locale(self) -> Path:
        """``<package>/locale``."""
        return self.path / "locale"

    def po(self, language: str) -> Path:
        """The catalogue of ``language``."""
        return self.locale / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


@dataclass
class Extracted:
    """Messages found in a package, and the places where a message cannot be extracted (f-strings)."""

    catalog: Catalog
    problems: list[str] = field(default_factory=list)


def packages(extra: Iterable[Path] = ()) -> list[Package]:
    """The project's packages (core, admin_ui, every built-in plugin) and any ``extra`` package directories."""
    found = [Package("core", ROOT / "core"), Package("admin", ROOT / "admin_ui")]
    found += [Package(p.name, p) for p in sorted((ROOT / "plugins").iterdir())
              if p.is_dir() and (p / "__init__.py").is_file()]
    found += [Package(p.name, p.resolve()) for p in extra]
    return found


# --- Python -----------------------------------------------------------------------------------------------------

def error_classes(trees: Iterable[ast.Module]) -> set[str]:
    """Names of ``core.errors`` classes and of the subclasses the given modules define (to a fixed point)."""
    names = {c.__name__ for c in _subclasses(errors.SborError)}
    defined = [(n.name, {_name(b) for b in n.bases}) for t in trees for n in ast.walk(t) if isinstance(n, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for name, bases in defined:
            if name not in names and bases & names:
                names.add(name)
                grew = True
    return names


def _subclasses(cls: type[Any]) -> Iterator[type[Any]]:
    yield cls
    sub: type[Any]
    for sub in cls.__subclasses__():
        yield from _subclasses(sub)


DECLARING_MODULES = (admin, notifications, permissions, report_types)
"""Core modules whose dataclasses plugins declare with English text (admin pages, notification kinds, permissions,
reportable types and their actions)."""


def _admin_text_positions() -> dict[str, dict[int, str]]:
    """For each declarative dataclass of core: the positional index of each of its text fields."""
    out: dict[str, dict[int, str]] = {}
    for module in DECLARING_MODULES:
        for name in dir(module):
            obj = getattr(module, name)
            if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == module.__name__:
                out[name] = {i: f.name for i, f in enumerate(dataclasses.fields(obj)) if f.name in TEXT_FIELDS}
    return out


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _text(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
        return node.value
    return None


def extract_python(tree: ast.Module, error_names: set[str],
                   admin_types: dict[str, dict[int, str]]) -> Iterator[tuple[int, str | tuple[str, str] | None]]:
    """``(line, message)`` for every message in a module; message None marks an f-string given to an error class."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield from _from_call(node, error_names, admin_types)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is not None and _text(key) == "detail" and _text(value):
                    yield node.lineno, _text(value)
        elif isinstance(node, ast.ClassDef) and {_name(b) for b in node.bases} & error_names:
            for stmt in node.body:
                target: ast.expr | None = None
                assigned: ast.expr | None = None
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    target, assigned = stmt.targets[0], stmt.value
                elif isinstance(stmt, ast.AnnAssign):
                    target, assigned = stmt.target, stmt.value
                if isinstance(target, ast.Name) and target.id == "title" and _text(assigned):
                    yield stmt.lineno, _text(assigned)


def _from_call(node: ast.Call, error_names: set[str],
               admin_types: dict[str, dict[int, str]]) -> Iterator[tuple[int, str | tuple[str, str] | None]]:
    name = _name(node.func)
    args, kwargs = node.args, {k.arg: k.value for k in node.keywords if k.arg}
    line = node.lineno
    if name in SINGULAR and args and _text(args[0]):
        yield line, _text(args[0])
    elif name in PLURAL and len(args) >= 2 and _text(args[0]) and _text(args[1]):
        yield line, (str(_text(args[0])), str(_text(args[1])))
    elif name in error_names:
        message: ast.expr | None = args[0] if args and name != "RateLimited" else kwargs.get("detail")
        if name == "RateLimited" and len(args) >= 2:
            message = args[1]
        yield from _alternatives(line, message)
    elif name == "fail" and len(args) >= 2:  # the plugins' one-field ValidationFailed: fail(pointer, detail, code)
        yield from _alternatives(line, args[1])
    elif name == "problem" and len(args) >= 3:
        for arg in args[2:4]:
            if _text(arg):
                yield line, _text(arg)
    elif name in admin_types:
        positions = admin_types[name]
        for index, arg in enumerate(args):
            if index in positions and _text(arg):
                yield line, _text(arg)
        for key, value in kwargs.items():
            if key in TEXT_FIELDS and _text(value):
                yield line, _text(value)
        for choice in _elements(kwargs.get("choices")):
            if isinstance(choice, ast.Tuple) and len(choice.elts) == 2 and _text(choice.elts[1]):
                yield line, _text(choice.elts[1])
        if name == "QueueDetail":
            for pair in _elements(kwargs.get("fields")):
                if isinstance(pair, ast.Tuple) and pair.elts and _text(pair.elts[0]):
                    yield line, _text(pair.elts[0])


def _alternatives(line: int, node: ast.expr | None) -> Iterator[tuple[int, str | None]]:
    """A literal message, both of ``"a" if c else "b"``; None for an f-string (reported)."""
    if isinstance(node, ast.JoinedStr):
        yield line, None
    elif isinstance(node, ast.IfExp):
        yield from _alternatives(line, node.body)
        yield from _alternatives(line, node.orelse)
    elif _text(node):
        yield line, _text(node)


def _elements(node: ast.expr | None) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, ast.List | ast.Tuple) else []


# --- extraction -------------------------------------------------------------------------------------------------

def _files(package: Package) -> Iterator[Path]:
    for path in sorted(package.path.rglob("*")):
        rel = path.relative_to(package.path).parts
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel[:-1]) or not path.is_file():
            continue
        if path.suffix == ".py" or ("templates" in rel and path.suffix in (".html", ".txt")):
            yield path


def extract(package: Package) -> Extracted:
    """Every message of ``package`` as a catalogue template (locations relative to the package)."""
    catalog = Catalog(project=f"sbor-{package.name}", domain=i18n.DOMAIN)
    out = Extracted(catalog)
    files = list(_files(package))
    trees: dict[Path, ast.Module] = {}
    for path in files:
        if path.suffix == ".py":
            trees[path] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = error_classes(trees.values())
    admin_types = _admin_text_positions()
    for path in files:
        where = str(path.relative_to(package.path))
        if path in trees:
            found: Iterable[tuple[int, Any]] = extract_python(trees[path], names, admin_types)
        else:
            found = _jinja(path)
        for line, message in found:
            if message is None:
                out.problems.append(f"{package.name}/{where}:{line}: an f-string given to an error class cannot be "
                                    "translated; use '%(name)s' placeholders and params=")
                continue
            if path not in trees and any("%" in _FORMAT.sub("", m) for m in _texts(message)):
                out.problems.append(f"{package.name}/{where}:{line}: write a literal % as %% in a template message "
                                    "(Jinja formats every translated string)")
            _add(catalog, message, where, line)
    return out


_FORMAT = re.compile(r"%(?:\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%)")


def _texts(message: str | tuple[str, str]) -> tuple[str, ...]:
    return (message,) if isinstance(message, str) else tuple(message)


def _jinja(path: Path) -> Iterator[tuple[int, str | tuple[str, str]]]:
    with path.open("rb") as fh:
        for line, _func, message, _comments in babel_extract(fh, JINJA_KEYWORDS, [], JINJA_OPTIONS):
            if isinstance(message, str):
                if message.strip():
                    yield line, message
            elif message is not None:
                texts = [m for m in message if isinstance(m, str)]
                if len(texts) >= 2:
                    yield line, (texts[0], texts[1])
                elif texts:
                    yield line, texts[0]


def _add(catalog: Catalog, message: str | tuple[str, str], where: str, line: int) -> None:
    flags = ("python-format",) if "%(" in (message if isinstance(message, str) else message[0]) else ()
    existing = catalog.get(message if isinstance(message, str) else message[0])
    if existing is not None:
        existing.locations.append((where, line))
        return
    catalog.add(message, locations=[(where, line)], flags=flags)


# --- .po files --------------------------------------------------------------------------------------------------

def read(path: Path, language: str) -> Catalog | None:
    """A ``.po`` file, or None when it does not exist."""
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        return read_po(fh, locale=language)


def write(path: Path, catalog: Catalog) -> None:
    """Write a ``.po`` file (sorted, no line numbers, a fixed header: diffs show only messages) if it changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.header_comment = HEADER
    catalog.creation_date = catalog.revision_date = EPOCH
    catalog.fuzzy = False
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=120, sort_output=True, include_lineno=False, ignore_obsolete=True)
    if not path.is_file() or path.read_bytes() != buffer.getvalue():
        path.write_bytes(buffer.getvalue())


HEADER = ("# Translations of Sbor's messages (English is the source language).\n"
          "# New messages: python3 manage.py i18n update; then fill in the empty msgstr; check: manage.py i18n check")
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # no dates in the header: they changed the file on every update


def update(package: Package, language: str, shared: Catalog | None = None) -> tuple[int, int]:
    """Merge the extracted messages into the package's catalogue; returns (messages, untranslated).

    A new message already translated in ``shared`` (core's catalogue) starts with that translation.
    """
    template = extract(package).catalog
    path = package.po(language)
    catalog = read(path, language) or Catalog(locale=language, domain=i18n.DOMAIN, project=f"sbor-{package.name}")
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    for message in catalog:
        if message.id and not _translated(message) and shared is not None:
            known = shared.get(message.id)
            if known is not None and _translated(known) and not known.fuzzy:
                message.string = known.string
    if len(catalog) == 0 and not path.exists():
        return 0, 0
    write(path, catalog)
    return len(catalog), sum(1 for m in catalog if m.id and not _translated(m))


def _translated(message: Message) -> bool:
    if message.fuzzy:
        return False
    if isinstance(message.string, tuple | list):
        return all(bool(s) for s in message.string)
    return bool(message.string)


def missing(package: Package, language: str, fallback: Catalog | None = None) -> list[str]:
    """Messages of ``package`` with no translation into ``language`` (in its catalogue, or else in ``fallback``)."""
    extracted = extract(package)
    catalog = read(package.po(language), language)
    out = list(extracted.problems)
    for message in extracted.catalog:
        if not message.id:
            continue
        for source in (catalog, fallback):
            found = source.get(message.id) if source is not None else None
            if found is not None and _translated(found):
                break
        else:
            where = ", ".join(f"{loc}:{line}" for loc, line in message.locations[:2])
            text = message.id if isinstance(message.id, str) else message.id[0]
            out.append(f"{package.name}: {text!r} ({where}) has no {language} translation")
    return out
