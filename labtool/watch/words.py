"""The live page's own words (its titles, buttons and states), in English; the page gets them in
the lab's language with its state (`words`), from the catalog (labtool/i18n.py)."""

from __future__ import annotations

from labtool.i18n import NP_, in_context

PAGE_WORDS = {
    "scenario": NP_("the live page", "Scenario"),
    "run": NP_("the live page", "Run"),
    "report": NP_("the live page", "Export the report"),
    "requests": NP_("the live page", "The client's requests (last 30 s, a line every 10 s)"),
    "table": NP_("the live page", "The lab's table"),
    "test": NP_("the live page", "Test"),
    "expected": NP_("the live page", "Expected"),
    "observed": NP_("the live page", "Observed"),
    "timeline": NP_("the live page", "Timeline"),
    "vip": NP_("the live page", "VIP"),
    "nobody": NP_("the live page", "nobody"),
    "split": NP_("the live page", "split brain"),
    "halt": NP_("the live page", "halt"),
    "force": NP_("the live page", "cut power"),
    "start": NP_("the live page", "start"),
    "stop": NP_("the live page", "stop"),
    "up": NP_("the live page", "up"),
    "halted": NP_("the live page", "halted"),
    "down": NP_("the live page", "down"),
    "live": NP_("the live page", "live"),
    "offline": NP_("the live page", "disconnected"),
    "failed": NP_("the live page", "failed"),
    "slow": NP_("the live page", "slow"),
    "running": NP_("the live page", "running…"),
    "adverts": NP_("the live page", "VRRP adverts"),
    "sent": NP_("the live page", "asked"),
    "done": NP_("the live page", "done"),
    "last5": NP_("the live page", "last 5 s"),
}


def page_words(lang: str) -> dict[str, str]:
    pgettext = in_context(lang)
    return {key: pgettext(*text) for key, text in PAGE_WORDS.items()}
