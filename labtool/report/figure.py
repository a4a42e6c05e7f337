"""The timeline figure of scenario results (matplotlib, rendered without a screen).

One panel per scenario: each request at the time it was sent, its latency, coloured by the
web node that answered (failures in red); the VIP holder as a band; the fault as a marker.
"""

from __future__ import annotations

import io
from typing import Any

from labtool.i18n import in_context, translation

COLOURS = ["#2ca02c", "#1f77b4", "#9467bd", "#ff7f0e", "#8c564b"]
HOLDER_COLOURS = ["#fdd0a2", "#c6dbef", "#d9f0a3", "#fcbba1"]


def _labels(lang: str) -> tuple[str, ...]:
    """The axes' and marks' words: time, latency, the fault, a failed request, the VIP."""
    _, pgettext = translation(lang), in_context(lang)
    return (
        _("time since the fault (s)"),
        _("latency (s)"),
        _("fault"),
        pgettext("a request", "failed"),
        _("VIP on"),
    )


def timeline_png(results: list[dict[str, Any]], lang: str = "fr") -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = _labels(lang)
    fig, axes = plt.subplots(len(results), 1, figsize=(9, 2.6 * len(results)), squeeze=False)
    for ax, result in zip(axes[:, 0], results, strict=True):
        events = result["events"]
        http = [e for e in events if e["kind"] == "http"]
        fault_t = 0.0  # event times are counted from the fault
        origin = min((e["t"] for e in events), default=0.0)
        nodes = sorted({e.get("node") for e in http if e.get("node")})
        for index, node in enumerate(nodes):
            xs = [e["sent"] for e in http if e.get("node") == node and e["status"] == 200]
            ys = [
                max(e["latency_s"], 1e-4)
                for e in http
                if e.get("node") == node and e["status"] == 200
            ]
            ax.plot(
                xs,
                ys,
                linestyle="none",
                marker=".",
                markersize=3,
                color=COLOURS[index % len(COLOURS)],
                label=node,
            )
        failed = [e for e in http if e["status"] != 200]
        if failed:
            ax.plot(
                [e["sent"] for e in failed],
                [max(e["latency_s"], 1e-4) for e in failed],
                linestyle="none",
                marker="x",
                markersize=3,
                color="#d62728",
                label=labels[3],
            )
        _holder_band(ax, events, origin, labels[4])
        ax.axvline(fault_t, color="black", linestyle="--", linewidth=1)
        ax.text(
            fault_t, 1.02, labels[2], transform=ax.get_xaxis_transform(), ha="center", fontsize=8
        )
        ax.set_yscale("log")
        ax.set_ylabel(labels[1])
        ax.set_title(result["title"][lang], fontsize=10)
        ax.legend(fontsize=7, loc="upper right", ncol=4, framealpha=0.6)
    axes[-1, 0].set_xlabel(labels[0])
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def _holder_band(ax: Any, events: list[dict[str, Any]], start: float, label: str) -> None:
    """Spans along the bottom of the panel: who held the VIP (by address), over time."""
    holders: set[str] = set()
    changes: list[tuple[float, frozenset[str]]] = [(start, frozenset())]
    for event in events:
        if event["kind"] == "vip":
            (holders.add if event["action"] == "added" else holders.discard)(event["node"])
            changes.append((event["t"], frozenset(holders)))
    end = max((e["t"] for e in events), default=start)
    names = sorted({n for _, h in changes for n in h})
    for (t0, held), (t1, _) in zip(changes, [*changes[1:], (end, frozenset())], strict=True):
        for node in held:
            ax.axvspan(
                t0,
                t1,
                ymin=0.0,
                ymax=0.07,
                color=HOLDER_COLOURS[names.index(node) % len(HOLDER_COLOURS)],
                alpha=0.9,
            )
            ax.text(
                (t0 + t1) / 2,
                0.035,
                f"{label} {node}",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="center",
                fontsize=7,
            )
