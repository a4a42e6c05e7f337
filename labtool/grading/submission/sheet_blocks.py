"""An answer sheet read as Markdown's structure, by a parser made for it (markdown-it-py, with
GitHub's tables): its tables and its lists at the top of the document, with their items (the
number each was written with), each with the lines it spans. What the line-by-line reading
cannot see comes from here: a table without its outer pipes, a list item's continuation lines,
blank lines and code, where one item ends and the next begins. (Headings and paragraphs are
read line by line, sheet.py.)"""

from __future__ import annotations

from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from labtool.grading.submission.sheet_rows import Table

_PARSER = MarkdownIt("commonmark").enable("table")
LISTS = ("bullet_list_open", "ordered_list_open")
LIST_ENDS = ("bullet_list_close", "ordered_list_close")


@dataclass
class Item:
    """One item of a list: the number it was written with ("3." -> 3; None in a bullet list;
    counted as Markdown counts them where one number is written before several items),
    the lines it spans and its text (its marker left out, its continuation lines joined)."""

    number: int | None
    line: int  # its first line (0-based)
    end: int  # the line after its last
    text: str


@dataclass
class Block:
    """A list at the top of the document."""

    line: int
    end: int
    ordered: bool = False
    items: list[Item] = field(default_factory=list)


@dataclass
class Structure:
    lists: list[Block]
    tables: list[Table]

    def item_at(self, line: int) -> Item | None:
        """The list item whose first line this is."""
        for block in self.lists:
            for item in block.items:
                if item.line == line:
                    return item
        return None


def read_structure(markdown: str) -> Structure:
    """The document's lists (a list's items with it, not as lists of their own) and tables,
    in order."""
    lines = markdown.splitlines()
    tokens = _PARSER.parse(markdown)
    found = Structure([], [])
    depth = 0  # inside a list: its items' own blocks are the item's text
    for index, token in enumerate(tokens):
        if token.type in LISTS:
            if depth == 0:
                found.lists.append(_list(tokens, index, lines))
            depth += 1
        elif token.type in LIST_ENDS:
            depth -= 1
        elif depth == 0 and token.type == "table_open" and token.map is not None:
            found.tables.append(_table(tokens, index))
    return found


def _list(tokens: list[Token], index: int, lines: list[str]) -> Block:
    opening = tokens[index]
    assert opening.map is not None
    start, end = opening.map
    block = Block(start, end, ordered=opening.type == "ordered_list_open")
    depth = 0
    for token in tokens[index:]:
        if token.type in LISTS:
            depth += 1
        elif token.type in LIST_ENDS:
            depth -= 1
            if depth == 0:
                break
        elif token.type == "list_item_open" and depth == 1 and token.map is not None:
            first, last = token.map
            number = int(token.info) if token.info.isdigit() else None
            block.items.append(Item(number, first, last, _item_text(lines[first:last])))
    written = [i.number for i in block.items]
    if block.ordered and len(set(written)) < len(written):  # "1." before each: counted
        for k, item in enumerate(block.items):
            item.number = (written[0] or 1) + k
    return block


def _item_text(lines: list[str]) -> str:
    """An item's source text, its marker ("1.", "2)", "-") left out, blank lines kept."""
    if not lines:
        return ""
    first = lines[0].lstrip()
    marker = len(first) - len(first.lstrip("0123456789"))
    if marker and first[marker : marker + 1] in (".", ")"):
        first = first[marker + 1 :]
    elif first[:1] in "-*+":
        first = first[1:]
    rest = [line.strip() for line in lines[1:]]
    while rest and not rest[-1]:
        rest.pop()
    return "\n".join([first.strip(), *rest]).strip()


def _table(tokens: list[Token], index: int) -> Table:
    """A table's header and rows (each with its line), as the line-by-line reading gives them."""
    opening = tokens[index]
    assert opening.map is not None
    header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    row: list[str] | None = None
    line = opening.map[0]
    in_head = False
    for token in tokens[index + 1 :]:
        if token.type == "table_close":
            break
        if token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            row, line = [], token.map[0] if token.map else line
        elif token.type == "inline" and row is not None:
            row.append(token.content.strip())
        elif token.type == "tr_close" and row is not None:
            if in_head:
                header = row
            else:
                rows.append((line, row))
            row = None
    return Table(opening.map[0], header, rows)
