"""Safe, bounded YAML 1.2 reading with a position for every key and value.

PyYAML resolves plain scalars by YAML 1.1 rules (`no` → False, `15e12` → a
string, `0755` → 493) and silently keeps the last of duplicate keys. We use
its parser only to compose a node tree (libyaml when present, for speed), then
build Python values ourselves by the YAML 1.2 core schema, rejecting tags,
duplicate keys, recursive and excessive aliases, and oversize input.

The result is plain data (dict/list/str/int/float/bool/None) plus a
`Positions` index from paths such as ('workloads', 2, 'deadline') to line and
column, so later stages can point at the exact spot of a problem.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dcplan.diagnostics import Diagnostic, format_path

MAX_FILE_BYTES = 8_000_000  # a generated platform of 10,000 workloads is 1.6 MB (bench/scaling.py)
MAX_ALIASES = 100
MAX_NODES = 1_000_000  # that platform has about 150,000 values; bounds alias bombs all the same
MAX_DEPTH = 64

_IMPLICIT = "dcplan:implicit"  # marks nodes whose tag the user did not write

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_RE = re.compile(r"^[-+]?[0-9]+$")
_OCT_RE = re.compile(r"^0o[0-7]+$")
_HEX_RE = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT_RE = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF_RE = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN_RE = re.compile(r"^\.(?:nan|NaN|NAN)$")


class _Resolver(yaml.resolver.BaseResolver):
    """Tags every node as implicit, so any tag left on a node was written by the user."""

    def resolve(self, kind, value, implicit):  # noqa: D102 - PyYAML hook
        return _IMPLICIT


class _TooDeep(Exception):
    def __init__(self, mark):
        super().__init__("too deep")
        self.mark = mark


class _BoundedComposer(yaml.composer.Composer):
    """PyYAML's composer with a nesting bound, run over the parser's events.

    libyaml's own composer (CParser.get_single_node) recurses in C without a
    bound: ~100,000 nested '[' (well under MAX_FILE_BYTES) crash the interpreter
    with a segmentation fault. Composing in Python from libyaml's events keeps
    the fast C scanner and parser and stops at a depth far beyond any scenario;
    the builder then reports the usual `yaml-too-deep` with a path below that.
    """

    _COMPOSE_DEPTH = 2 * MAX_DEPTH

    def __init__(self):
        super().__init__()
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > self._COMPOSE_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


if getattr(yaml, "__with_libyaml__", False):

    # _BoundedComposer first, so its get_single_node/compose_* win over CParser's C composer.
    class _Loader(_BoundedComposer, yaml.cyaml.CParser, _Resolver):  # type: ignore[misc]
        def __init__(self, stream):
            yaml.cyaml.CParser.__init__(self, stream)
            _BoundedComposer.__init__(self)
            _Resolver.__init__(self)

else:  # pragma: no cover - pure-Python fallback

    class _Loader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,  # type: ignore[no-redef]
                  _BoundedComposer, _Resolver):
        def __init__(self, stream):
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            _BoundedComposer.__init__(self)
            _Resolver.__init__(self)


@dataclass
class Positions:
    """Line/column (1-based) of every value and every mapping key, by path."""

    file: str
    values: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    keys: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    overridden: set[tuple] = field(default_factory=set)  # paths set by --set, not by the file
    override_source: str = "--set"  # the option that set them (`--vary` in a sweep)

    def override_of(self, path: tuple) -> tuple | None:
        for i in range(len(path), 0, -1):
            if path[:i] in self.overridden:
                return path[:i]
        return None

    def of(self, path: tuple, key: bool = False) -> tuple[int | None, int | None]:
        """The position of `path`, or of its nearest ancestor that has one."""
        table = self.keys if key else self.values
        if path in table:
            return table[path]
        while path:
            path = path[:-1]
            if path in self.values:
                return self.values[path]
        return (None, None)

    def diagnostic(self, code: str, message: str, path: tuple, *, key: bool = False,
                   hint: str | None = None, severity: str = "error") -> Diagnostic:
        if self.override_of(path) is not None:
            # The value came from the command line: there is no line in the file to show.
            return Diagnostic(code=code, message=f"{message} (value given by {self.override_source} "
                                                             f"{format_path(self.override_of(path))})",
                              file=self.file, path=format_path(path), hint=hint, severity=severity)
        line, col = self.of(path, key=key)
        return Diagnostic(code=code, message=message, file=self.file, path=format_path(path),
                          line=line, column=col, hint=hint, severity=severity)


@dataclass
class LoadedDocument:
    data: object
    positions: Positions
    problems: list[Diagnostic] = field(default_factory=list)  # non-fatal: duplicates, tags


class YamlProblem(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


STDIN = "-"
"""The path that means standard input (`dcplan solve -`)."""
_stdin_bytes: list[bytes] = []  # standard input is read once; `explain` re-reads its scenario to verify fixes


def read_file(path: str | Path, display_name: str | None = None) -> LoadedDocument:
    """Read a YAML file (`-`: standard input) into plain data with positions; raise YamlProblem on any defect."""
    name = display_name or str(path)
    if str(path) == STDIN:
        return parse_bytes(read_stdin()[:MAX_FILE_BYTES + 1], name)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise YamlProblem(Diagnostic("file-not-found", "no such file", file=name)) from None
    except IsADirectoryError:
        raise YamlProblem(Diagnostic("file-unreadable", "is a directory, not a file", file=name)) from None
    except OSError as err:
        raise YamlProblem(Diagnostic("file-unreadable", f"cannot read: {err.strerror}", file=name)) from None
    return parse_bytes(raw, name)


def read_stdin(limit: int = MAX_FILE_BYTES) -> bytes:
    """Standard input's bytes, read once (at most `limit` + 1 of them) and kept for every later reader:
    `diff` tries a plan JSON (larger `limit`) before a scenario; `explain` re-reads its scenario."""
    import sys

    if not _stdin_bytes:
        try:
            _stdin_bytes.append(sys.stdin.buffer.read(limit + 1))
        except (OSError, AttributeError, ValueError) as err:  # closed, or not a byte stream
            raise YamlProblem(Diagnostic("file-unreadable", f"cannot read standard input: {err}", file="-")) from None
    return _stdin_bytes[0]


def parse_bytes(raw: bytes, name: str) -> LoadedDocument:
    if len(raw) > MAX_FILE_BYTES:
        raise YamlProblem(Diagnostic("file-too-large",
                                     f"file is larger than {MAX_FILE_BYTES:,} bytes; a scenario is far smaller",
                                     file=name))
    text = _decode(raw, name)
    return parse_text(text, name)


def _decode(raw: bytes, name: str) -> str:
    if b"\x00" in raw:
        line, col = _position_of_offset(raw, raw.index(b"\x00"))
        raise YamlProblem(Diagnostic("not-text", "file contains a NUL byte: it is binary, not a YAML text",
                                     file=name, line=line, column=col))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line, col = _position_of_offset(raw, err.start)
        raise YamlProblem(Diagnostic("not-utf8", f"byte 0x{raw[err.start]:02x} is not valid UTF-8 text",
                                     file=name, line=line, column=col)) from None
    return text.removeprefix("\ufeff")


def _position_of_offset(raw: bytes, offset: int) -> tuple[int, int]:
    before = raw[:offset]
    line = before.count(b"\n") + 1
    col = offset - (before.rfind(b"\n") + 1) + 1
    return line, col


def parse_text(text: str, name: str) -> LoadedDocument:
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise YamlProblem(Diagnostic("empty-file", "file is empty: expected a scenario mapping",
                                     file=name, line=1, column=1))
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        context = err.context
        if (context and context.startswith("while") and err.context_mark and err.problem_mark
                and err.context_mark.line != err.problem_mark.line):
            # e.g. an unclosed '{': the problem shows lines later; say where the construct began.
            context += f" (started at line {err.context_mark.line + 1}, column {err.context_mark.column + 1})"
        message = " ".join(p for p in (context, err.problem) if p) or "invalid YAML"
        hint = "indent with spaces: YAML does not allow tabs for indentation" if "tab" in (err.problem or "") else None
        raise YamlProblem(Diagnostic("yaml-syntax", f"YAML syntax error: {message}", file=name,
                                     line=mark.line + 1 if mark else None,
                                     column=mark.column + 1 if mark else None, hint=hint)) from None
    except yaml.YAMLError as err:
        raise YamlProblem(Diagnostic("yaml-syntax", f"YAML syntax error: {err}", file=name)) from None
    except _TooDeep as err:
        raise YamlProblem(Diagnostic("yaml-too-deep", f"nested more than {MAX_DEPTH} levels deep", file=name,
                                     line=err.mark.line + 1, column=err.mark.column + 1)) from None
    except RecursionError:
        raise YamlProblem(Diagnostic("yaml-too-deep", "YAML is nested too deeply", file=name)) from None
    if node is None:
        raise YamlProblem(Diagnostic("empty-file", "file is empty: expected a scenario mapping",
                                     file=name, line=1, column=1))
    builder = _Builder(Positions(name))
    data = builder.build(node, (), 0)
    return LoadedDocument(data, builder.positions, builder.problems)


class _Builder:
    """Node tree → plain data, with bounds on aliases, nodes and depth."""

    def __init__(self, positions: Positions):
        self.positions = positions
        self.problems: list[Diagnostic] = []
        self.nodes = 0
        self.visited: set[int] = set()
        self.alias_expansions = 0
        self.active: set[int] = set()

    def _diagnostic(self, code: str, message: str, node, path: tuple) -> Diagnostic:
        return Diagnostic(code, message, file=self.positions.file, path=format_path(path),
                          line=node.start_mark.line + 1, column=node.start_mark.column + 1)

    def _fail(self, code: str, message: str, node, path: tuple) -> None:
        """A defect that stops reading (bounds exceeded): nothing after it can be trusted."""
        raise YamlProblem(self._diagnostic(code, message, node, path))

    def _fail_at_use(self, code: str, message: str, node, path: tuple) -> None:
        """Like _fail, for a node reached through an alias. The node's own mark is where its
        anchor was defined; point instead at the nearest key on `path`, i.e. where the alias is used."""
        for i in range(len(path), 0, -1):
            if path[:i] in self.positions.keys:
                line, col = self.positions.keys[path[:i]]
                raise YamlProblem(Diagnostic(code, message, file=self.positions.file, path=format_path(path),
                                             line=line, column=col))
        self._fail(code, message, node, path)

    def _report(self, code: str, message: str, node, path: tuple) -> None:
        """A defect worth reporting that still lets reading go on, so all are shown at once."""
        self.problems.append(self._diagnostic(code, message, node, path))

    def build(self, node, path: tuple, depth: int):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self._fail("yaml-too-large", f"more than {MAX_NODES:,} values (counting expanded aliases): "
                       "a scenario needs far fewer", node, path)
        if depth > MAX_DEPTH:
            self._fail("yaml-too-deep", f"nested more than {MAX_DEPTH} levels deep", node, path)
        if node.tag != _IMPLICIT:
            self._report("yaml-tag", f"YAML tags such as {node.tag!r} are not allowed in a scenario", node, path)
        if id(node) in self.active:
            self._fail_at_use("yaml-recursive-alias", "an alias refers to a node that contains it", node, path)
        self.positions.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        self._count_alias(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(child, path + (i,), depth + 1) for i, child in enumerate(node.value)]
            return self._mapping(node, path, depth)
        finally:
            self.active.discard(id(node))

    def _count_alias(self, node, path: tuple) -> None:
        # A collection node reached a second time was reached through an alias;
        # counting expansions (not alias tokens) is what stops "billion laughs".
        if id(node) in self.visited:
            self.alias_expansions += 1
            if self.alias_expansions > MAX_ALIASES:
                self._fail_at_use("yaml-too-many-aliases",
                                  f"more than {MAX_ALIASES} alias expansions: a scenario needs far fewer", node, path)
        self.visited.add(id(node))

    def _mapping(self, node, path: tuple, depth: int) -> dict:
        result: dict = {}
        merged: list = []
        for key_node, value_node in node.value:
            self.nodes += 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _IMPLICIT:
                self._fail("yaml-key", "mapping keys must be plain strings", key_node, path)
            key = key_node.value
            if key == "<<" and key_node.style in (None, ""):
                self._report("yaml-merge-key", "merge keys (<<) are not allowed: write the fields out",
                             key_node, path + (key,))
                merged.append(value_node)
                continue
            if key in result:
                first = self.positions.keys[path + (key,)]
                self._report("duplicate-key", f"duplicate key {key!r} (first defined at line {first[0]})",
                             key_node, path + (key,))
                continue
            self.positions.keys[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, path + (key,), depth + 1)
        # The merge key is an error, but still merge what it names (keys written here win), so the
        # user does not also get a "missing field" for every field the merge would have supplied.
        for value_node in merged:
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                if isinstance(source, yaml.MappingNode):
                    self._merge_from(source, result, path, depth)
        return result

    def _merge_from(self, source, result: dict, path: tuple, depth: int) -> None:
        self._count_alias(source, path)
        for key_node, value_node in source.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value not in result and key_node.value != "<<":
                self.positions.keys[path + (key_node.value,)] = (key_node.start_mark.line + 1,
                                                                 key_node.start_mark.column + 1)
                result[key_node.value] = self.build(value_node, path + (key_node.value,), depth + 1)


def _scalar(node):
    value = node.value
    if node.style not in (None, ""):  # quoted or block scalar: always a string (libyaml says "" for plain)
        return value
    return resolve_plain_scalar(value)


def resolve_plain_scalar(value: str):
    """Resolve an unquoted scalar by the YAML 1.2 core schema."""
    if _NULL_RE.match(value):
        return None
    if _BOOL_RE.match(value):
        return value.lower() == "true"
    if _INT_RE.match(value):
        try:
            return _bounded_int(int(value))
        except ValueError:  # int() refuses over 4,300 digits; float() reads them as inf
            return float(value)
    if _OCT_RE.match(value):
        return _bounded_int(int(value[2:], 8))
    if _HEX_RE.match(value):
        return _bounded_int(int(value[2:], 16))
    if _FLOAT_RE.match(value):
        return float(value)
    if _INF_RE.match(value):
        return float("-inf") if value.startswith("-") else float("inf")
    if _NAN_RE.match(value):
        return float("nan")
    return value


_INT64 = 2**63


def _bounded_int(number: int):
    """Integers beyond 64 bits are no count or amount a scenario needs: read them as floats
    (inf beyond the float range), so the schema refuses them as not whole / not finite rather
    than float() raising OverflowError later or a 400-digit integer reaching a solver."""
    if -_INT64 <= number < _INT64:
        return number
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf
