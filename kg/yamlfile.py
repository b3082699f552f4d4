"""Reading curated YAML while keeping the line of every mapping and of every key.

PyYAML's safe loader is used, with one change: mappings become :class:`Located` dicts that
remember where they start and where each key sits, so that every error can name its line.
Dates stay strings (the loader checks them itself, so that ``2025-02-30`` is a clear error
naming the line rather than a YAML-library exception). Aliases (``*name``) are refused.

>>> doc = load_text("a: 1\\nb:\\n  c: x\\n", "t.yaml")
>>> doc.line, doc["b"].line, doc.line_of("b")
(1, 3, 2)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kg.inputfile import read_input
from kg.problems import DataError, Problem


class Located(dict):
    """A mapping read from YAML, with the file, its first line and the line of each key."""

    file: str = "?"
    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line of ``key`` if present, else the mapping's own line."""
        return self.key_lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        # An alias makes one node many: nested aliases (a "billion laughs" sheet) multiply into
        # millions of values. Sheets are written out by hand and never need them.
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"alias *{event.anchor} refused: curated sheets write every value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)


# Keep timestamps as text: a date is validated by the loader with a located error.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    loader.flatten_mapping(node)
    out = Located()
    out.file = loader.name_for_errors
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"mapping key {key!r} is not a string", key_node.start_mark
            )
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _FastLoader(yaml.CSafeLoader):
    """libyaml's parser with the same constructors: about 8x faster on a fact sheet.

    It cannot refuse an alias while composing, so it only reads text without ``&`` (an alias needs
    an anchor); and it words errors its own way, so on any error :func:`load_text` re-reads the
    text with :class:`_Loader`, whose messages the error catalogue documents.
    """


_FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
_FastLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_text(text: str, name: str) -> Any:
    """Parse YAML text; raise :class:`DataError` with the file and line on a syntax error."""
    if "&" not in text and yaml.__with_libyaml__:
        fast = _FastLoader(text)
        fast.name_for_errors = name
        try:
            return fast.get_single_data()
        except Exception:  # any failure: re-read below for the documented error
            pass
        finally:
            fast.dispose()
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        # a control character YAML does not allow (checked before any parsing)
        raise _reader_error(exc, text, name) from None
    loader.name_for_errors = name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        msg = exc.problem or str(exc)
        if exc.context:
            msg = f"{exc.context}: {msg}"
        raise DataError([Problem(name, line, f"YAML syntax error: {msg}")], "parse") from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, name) from None
    except yaml.YAMLError as exc:
        raise DataError([Problem(name, 0, f"YAML error: {' '.join(str(exc).split())}")], "parse") from None
    except (ValueError, OverflowError, RecursionError) as exc:
        # PyYAML lets these through for an escape beyond Unicode ("\\U80001000") or deep nesting
        raise DataError(
            [Problem(name, loader.line + 1, f"YAML syntax error: {' '.join(str(exc).split())}")], "parse"
        ) from None
    finally:
        loader.dispose()


def _reader_error(exc: yaml.reader.ReaderError, text: str, name: str) -> DataError:
    line = text.count("\n", 0, exc.position) + 1
    return DataError(
        [Problem(name, line, f"YAML syntax error: character #x{exc.character:04x} is not allowed")], "parse"
    )


def load_file(path: Path, display: str) -> Any:
    """Read and parse a YAML file as UTF-8; errors name ``display`` (a project-relative path).

    Raises:
        DataError: the file cannot be read (see :func:`kg.inputfile.read_input`) or does not parse.
    """
    return load_text(read_input(path, display), display)
