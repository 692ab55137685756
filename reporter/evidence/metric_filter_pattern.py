"""CloudWatch Logs JSON filter patterns: parse one, and evaluate it against a log event.

A metric filter is judged by what it matches, not by how it is written: the CIS root-usage
pattern, the same terms reordered, or a wider pattern joined with `||` are all acceptable when
they match root activity and leave ordinary calls alone. So the pattern is parsed into a small
tree and run against representative CloudTrail records.

Supported syntax (the JSON form of the CloudWatch Logs filter-pattern language):
`{ <expression> }` where an expression combines, with `&&`, `||` and parentheses,
- `$.a.b`, `$.a[0].b` selectors compared with `=`, `!=`, `<`, `>`, `<=`, `>=` to a quoted or
  unquoted string (`*` is a wildcard in `=` / `!=`) or a number,
- `<selector> IS TRUE | IS FALSE | IS NULL`, `<selector> EXISTS`, `<selector> NOT EXISTS`.
An empty pattern matches every event (as in CloudWatch). Space-delimited and plain-term
patterns are not JSON and are refused with FilterPatternError.

A selector that does not resolve to a value makes every comparison false, `!=` included
(CloudWatch does not match a property that is absent); only `NOT EXISTS` matches it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["FilterPattern", "FilterPatternError", "compile_filter_pattern"]


class FilterPatternError(ValueError):
    """The text is not a JSON filter pattern this evaluator understands; says where and why."""


_MISSING = object()
_STOP = set(" \t\r\n=!<>()&|{}")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_SELECTOR_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class _Token:
    kind: str  # "punct", "op", "selector", "string", "word"
    text: str
    pos: int


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "{}()":
            out.append(_Token("punct", ch, i))
            i += 1
        elif text.startswith(("&&", "||"), i):
            out.append(_Token("punct", text[i : i + 2], i))
            i += 2
        elif text.startswith(("!=", "<=", ">="), i):
            out.append(_Token("op", text[i : i + 2], i))
            i += 2
        elif ch in "=<>":
            out.append(_Token("op", ch, i))
            i += 1
        elif ch == '"':
            j, buf = i + 1, []
            while j < len(text) and text[j] != '"':
                if text[j] == "\\" and j + 1 < len(text):
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= len(text):
                raise FilterPatternError(f"position {i + 1}: string is never closed")
            out.append(_Token("string", "".join(buf), i))
            i = j + 1
        else:
            j = i
            while j < len(text) and text[j] not in _STOP:
                j += 1
            if j == i:
                raise FilterPatternError(f"position {i + 1}: unexpected {ch!r}")
            word = text[i:j]
            out.append(_Token("selector" if word.startswith("$") else "word", word, i))
            i = j
    return out


# --- the tree ------------------------------------------------------------------------------------

Path = tuple[str | int, ...]


def _resolve(event: Any, path: Path) -> Any:
    value = event
    for part in path:
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return _MISSING
            value = value[part]
        else:
            if not isinstance(value, dict) or part not in value:
                return _MISSING
            value = value[part]
    return value


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in pattern.split("*")), re.DOTALL)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class _Compare:
    path: Path
    op: str
    value: str
    quoted: bool

    def matches(self, event: Any) -> bool:
        found = _resolve(event, self.path)
        if found is _MISSING or found is None or isinstance(found, dict | list | bool):
            return False
        number = float(self.value) if not self.quoted and _NUMBER.match(self.value) else None
        if self.op in ("<", ">", "<=", ">="):
            if not _is_number(found) or number is None:
                return False
            ordered: dict[str, bool] = {
                "<": found < number,
                ">": found > number,
                "<=": found <= number,
                ">=": found >= number,
            }
            return ordered[self.op]
        if _is_number(found):
            equal = number is not None and float(found) == number
        else:
            equal = bool(_glob(self.value).fullmatch(str(found)))
        return equal if self.op == "=" else not equal


@dataclass(frozen=True)
class _Is:
    path: Path
    literal: str  # TRUE, FALSE, NULL

    def matches(self, event: Any) -> bool:
        found = _resolve(event, self.path)
        if self.literal == "NULL":
            return found is None
        return found is (self.literal == "TRUE")


@dataclass(frozen=True)
class _Exists:
    path: Path
    exists: bool

    def matches(self, event: Any) -> bool:
        return (_resolve(event, self.path) is not _MISSING) == self.exists


@dataclass(frozen=True)
class _All:
    terms: tuple[Any, ...]

    def matches(self, event: Any) -> bool:
        return all(t.matches(event) for t in self.terms)


@dataclass(frozen=True)
class _Any:
    terms: tuple[Any, ...]

    def matches(self, event: Any) -> bool:
        return any(t.matches(event) for t in self.terms)


# --- the parser ----------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token], length: int) -> None:
        self.tokens = tokens
        self.i = 0
        self.length = length

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise FilterPatternError("the pattern ends too early")
        self.i += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text or token.kind not in ("punct", "op"):
            raise FilterPatternError(f"position {token.pos + 1}: expected {text!r}, found {token.text!r}")

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text.upper() in words:
            self.i += 1
            return token.text.upper()
        return None

    def expression(self) -> Any:
        terms = [self.conjunction()]
        while (t := self.peek()) is not None and t.kind == "punct" and t.text == "||":
            self.i += 1
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else _Any(tuple(terms))

    def conjunction(self) -> Any:
        terms = [self.primary()]
        while (t := self.peek()) is not None and t.kind == "punct" and t.text == "&&":
            self.i += 1
            terms.append(self.primary())
        return terms[0] if len(terms) == 1 else _All(tuple(terms))

    def primary(self) -> Any:
        token = self.take()
        if token.kind == "punct" and token.text == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        if token.kind != "selector":
            raise FilterPatternError(
                f"position {token.pos + 1}: expected a selector like $.field, found {token.text!r}"
            )
        path = _selector(token)
        if self.keyword("IS"):
            literal = self.keyword("TRUE", "FALSE", "NULL")
            if literal is None:
                raise FilterPatternError(f"position {token.pos + 1}: IS must be followed by TRUE, FALSE or NULL")
            return _Is(path, literal)
        if self.keyword("EXISTS"):
            return _Exists(path, True)
        if self.keyword("NOT"):
            if not self.keyword("EXISTS"):
                raise FilterPatternError(f"position {token.pos + 1}: NOT must be followed by EXISTS")
            return _Exists(path, False)
        op = self.take()
        if op.kind != "op":
            raise FilterPatternError(
                f"position {op.pos + 1}: expected a comparison after {token.text}, found {op.text!r}"
            )
        value = self.take()
        if value.kind not in ("string", "word"):
            raise FilterPatternError(
                f"position {value.pos + 1}: expected a value after {op.text}, found {value.text!r}"
            )
        quoted = value.kind == "string"
        if op.text in ("<", ">", "<=", ">=") and (quoted or not _NUMBER.match(value.text)):
            raise FilterPatternError(f"position {value.pos + 1}: {op.text} needs a number, found {value.text!r}")
        return _Compare(path, op.text, value.text, quoted)


def _selector(token: _Token) -> Path:
    rest = token.text[1:]
    parts: list[str | int] = []
    pos = 0
    while pos < len(rest):
        m = _SELECTOR_PART.match(rest, pos)
        if m is None:
            raise FilterPatternError(f"position {token.pos + 1}: bad selector {token.text!r}")
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not parts:
        raise FilterPatternError(f"position {token.pos + 1}: selector {token.text!r} names no field")
    return tuple(parts)


@dataclass(frozen=True)
class FilterPattern:
    text: str
    tree: Any | None  # None: the empty pattern, which matches everything

    def matches(self, event: Any) -> bool:
        return True if self.tree is None else bool(self.tree.matches(event))


def compile_filter_pattern(text: str) -> FilterPattern:
    """Parse a JSON filter pattern; FilterPatternError says where it is wrong."""
    if not isinstance(text, str):
        raise FilterPatternError(f"the pattern is a {type(text).__name__}, not text")
    if not text.strip():
        return FilterPattern(text, None)
    tokens = _tokens(text)
    if not tokens or tokens[0].text != "{":
        raise FilterPatternError(
            "not a JSON filter pattern (it does not start with '{'); term and "
            "space-delimited patterns are not evaluated"
        )
    parser = _Parser(tokens, len(text))
    parser.expect("{")
    tree = parser.expression()
    parser.expect("}")
    if parser.peek() is not None:
        extra = parser.peek()
        assert extra is not None
        raise FilterPatternError(f"position {extra.pos + 1}: unexpected {extra.text!r} after the closing '}}'")
    return FilterPattern(text, tree)
