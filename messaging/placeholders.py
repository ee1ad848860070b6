"""Filling a template's `{{ variable }}` placeholders, and leaving out what would dangle.

A value may be empty on purpose: the pay link of a school that takes no payments online, the phone
of a school that gave none. "Pay: " with nothing after it reads as a mistake, so a message body is
filled by sentence with one rule:

    a sentence with at least one placeholder, all of which are empty, is left out;
    a line left with nothing but spaces is left out with its line break.

Sentences and lines are the template's own, cut where its text (never a value) has a line break or
a `.`, `!` or `?` followed by a space, so an announcement's several sentences stay together whatever
is in them, and a sentence without placeholders always stays. A template author keeps an optional
value and its label in a sentence or on a line of their own ("Pay: {{ pay_link }}" after a full
stop, or on its own line) and need write no condition, which the sandbox does not have.
"""

import itertools
import re

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# Where the template's own text ends a line, or a sentence (the space after it starts the next one).
_CUT = re.compile(r"(\n)|(?<=[.!?])([ \t]+)")


def _layout(text):
    """The template as lines of sentences; a sentence is [space before it, [text or placeholder match]]."""
    lines = [[["", []]]]
    pos = 0
    for match in itertools.chain(PLACEHOLDER.finditer(text), [None]):
        literal = text[pos : match.start() if match else len(text)]
        at = 0
        for cut in _CUT.finditer(literal):
            if cut.start() > at:
                lines[-1][-1][1].append(literal[at : cut.start()])
            if cut.group(1):
                lines.append([["", []]])
            else:
                lines[-1].append([cut.group(2), []])
            at = cut.end()
        if at < len(literal):
            lines[-1][-1][1].append(literal[at:])
        if match is not None:
            lines[-1][-1][1].append(match)
            pos = match.end()
    return lines


def _line(sentences, value):
    """The line's text with its all-empty sentences left out, and whether any was."""
    kept, dropped = [], False
    for space, parts in sentences:
        texts = [part if isinstance(part, str) else value(part) for part in parts]
        filled = [text for part, text in zip(parts, texts, strict=True) if not isinstance(part, str)]
        if filled and not any(text.strip() for text in filled):
            dropped = True
            continue
        kept.append((space if kept else "") + "".join(texts))
    return "".join(kept), dropped


def fill(text, values, *, leave_out_empty=False):
    """`text` with each `{{ name }}` replaced by `values[name]` ("" when missing; a placeholder that is
    not a plain name stays as written). `leave_out_empty`: apply the rule above (message bodies)."""

    def value(match):
        name = match.group(1).strip()
        return values.get(name, "") if NAME.match(name) else match.group(0)

    if not leave_out_empty:
        return PLACEHOLDER.sub(value, text)
    out, skip_blank = [], False
    for sentences in _layout(text):
        line, dropped = _line(sentences, value)
        if dropped and not line.strip():
            # A paragraph of its own goes with one of the blank lines around it, not leaving two.
            skip_blank = not out or not out[-1].strip()
            continue
        if skip_blank and not line.strip():
            skip_blank = False
            continue
        skip_blank = False
        out.append(line)
    return "\n".join(out)
