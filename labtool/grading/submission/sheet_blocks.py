"""An answer sheet read as Markdown's structure, by a parser made for it (markdown-it-py, with
GitHub's tables): its tables, its lists and their items (the number each was written with),
its headings and paragraphs, each with the lines it spans. What the line-by-line reading cannot
see comes from here: a table without its outer pipes, a list item's continuation lines, blank
lines and code, where one item ends and the next begins."""

from __future__ import annotations

from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from labtool.grading.submission.sheet_rows import Table

_PARSER = MarkdownIt("commonmark").enable("table")
BLOCK_KINDS = {
    "heading_open": "heading",
    "paragraph_open": "paragraph",
    "table_open": "table",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "fence": "code",
    "code_block": "code",
    "blockquote_open": "quote",
}


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
    """A block at the top of the document (or of a quote)."""

    kind: str  # heading, paragraph, table, list, code, quote
    line: int
    end: int
    text: str = ""  # a heading's or a paragraph's words
    ordered: bool = False
    items: list[Item] = field(default_factory=list)
    table: Table | None = None


@dataclass
class Structure:
    blocks: list[Block]

    @property
    def tables(self) -> list[Table]:
        return [b.table for b in self.blocks if b.table is not None]

    @property
    def lists(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "list"]

    def item_at(self, line: int) -> Item | None:
        """The list item whose first line this is."""
        for block in self.lists:
            for item in block.items:
                if item.line == line:
                    return item
        return None


def read_structure(markdown: str) -> Structure:
    """The document's blocks, in order (a list's items with it, not as blocks of their own)."""
    lines = markdown.splitlines()
    tokens = _PARSER.parse(markdown)
    blocks: list[Block] = []
    depth = 0  # inside a list: its items' own blocks are the item's text
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            if depth == 0:
                blocks.append(_list(tokens, index, lines))
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif depth == 0 and token.type in BLOCK_KINDS and token.map is not None:
            kind = BLOCK_KINDS[token.type]
            start, end = token.map
            block = Block(kind, start, end)
            if kind in ("heading", "paragraph") and index + 1 < len(tokens):
                block.text = tokens[index + 1].content
            elif kind == "table":
                block.table = _table(tokens, index)
            elif kind == "code":
                block.text = token.content
            blocks.append(block)
    return Structure(blocks)


def _list(tokens: list[Token], index: int, lines: list[str]) -> Block:
    opening = tokens[index]
    assert opening.map is not None
    start, end = opening.map
    block = Block("list", start, end, ordered=opening.type == "ordered_list_open")
    depth = 0
    for token in tokens[index:]:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
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
