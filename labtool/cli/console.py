"""The consoles and progress display shared by the CLI's commands.

Results and JSON go to stdout; progress and errors go to stderr, so `--json | jq` stays clean.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from labtool.errors import ExitCode
from labtool.i18n import Msg, in_lang

if TYPE_CHECKING:
    from rich.status import Status

    from labtool.provision.files import Adaptation

# No markup by default: messages carry text from configs and daemons ("[/etc/haproxy/...]"),
# which rich would read as tags. Styled lines say markup=True and escape what they quote.
out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


class Speech:
    """The language of the command line's own messages (errors, progress): the one asked for
    (`labtool --lang fr ...`, a command's `--lang`, or LABTOOL_LANG), else English. Set when
    the command line is read (labtool.cli.commands)."""

    lang = "en"


def said(text: str) -> str:
    """A message of the command line's own in the language asked for: a Msg is translated
    (labtool.i18n), any other text is written as it is."""
    return str(in_lang(text, Speech.lang))


def error(message: str) -> None:
    """`labtool: error: ...` on stderr, in the language asked for."""
    prefix = said(Msg("labtool: error:"))
    err.print(f"[bold red]{escape(prefix)}[/] {escape(said(message))}", markup=True)


def fail(message: str, code: int = ExitCode.ERROR) -> NoReturn:
    error(message)
    raise typer.Exit(code)


class ConsoleProgress:
    """Progress of `up` on stderr: steps, the changes made to the lab's configs, the VRRP wait."""

    def __init__(self) -> None:
        self._status: Status | None = None

    def __enter__(self) -> ConsoleProgress:
        # The result's views load while the lab is built and VRRP makes us wait.
        threading.Thread(target=importlib.import_module, args=(VIEWS,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def step(self, text: str) -> None:
        self.close()  # a step after a wait ends the wait's display
        err.print(f"  [cyan]•[/] {escape(said(text))}", markup=True)

    def adaptation(self, change: Adaptation) -> None:
        used = change.used_lines.replace("\n", " + ")
        err.print(
            f"  [yellow]changed[/] {escape(change.file)}: '{escape(change.lab_line)}' -> "
            f"{escape(used)}\n          why: {escape(change.reason)}",
            markup=True,
        )

    def waiting(self, text: str, elapsed_s: float, expected_s: float) -> None:
        if self._status is None:
            self._status = err.status(said(text))
            self._status.start()
            if not err.is_terminal:
                err.print(f"  [cyan]•[/] {escape(said(text))}", markup=True)
        line = Msg("{text}: {elapsed_s:.1f} s elapsed", text=text, elapsed_s=elapsed_s)
        self._status.update(said(line))

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


VIEWS = "labtool.cli.views"


class LazyModule(ModuleType):
    """A module imported when first used (the views, which `up` needs only at its end)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attribute)
