"""The watch's hub: the model a page starts from, and each change sent to every open page
(across threads, into each page's asyncio queue)."""

from __future__ import annotations

import asyncio
import threading

from labtool.watch.hub import Hub


def hub() -> Hub:
    return Hub("tp", "netns", "10.0.0.10", "fr")


def test_a_page_starts_from_the_state_then_gets_each_change_once() -> None:
    async def scenario() -> list[dict[str, object]]:
        h = hub()
        h.set_vip("haproxy1", True)  # before the page: in its backlog
        subscriber, start = h.subscribe(asyncio.get_running_loop())
        assert start["kind"] == "state"
        assert start["state"]["vip_holder"] == "haproxy1"  # type: ignore[index]
        thread = threading.Thread(
            target=lambda: (
                h.set_vip("haproxy2", True),
                h.set_vip("haproxy2", True),  # no change
                h.set_server("haproxy1", "web1", "DOWN"),
            )
        )
        thread.start()
        thread.join()
        got = [await asyncio.wait_for(subscriber.queue.get(), 2) for _ in range(3)]
        assert subscriber.queue.empty()
        h.close()
        assert await asyncio.wait_for(subscriber.queue.get(), 2) is None  # its stream ends
        return got  # type: ignore[return-value]

    got = asyncio.run(scenario())
    assert [e["kind"] for e in got] == ["vip", "vip", "haproxy"]
    assert got[1]["holders"] == ["haproxy1", "haproxy2"]
    assert [e["seq"] for e in got] == sorted(e["seq"] for e in got)


def test_the_state_is_status_json_with_the_page_s_parts() -> None:
    h = hub()
    h.set_nodes([{"name": "web1", "up": True}])
    h.set_vip("haproxy1", True)
    h.set_vip("haproxy2", True)
    state = h.state()
    assert state["lab"] == "tp" and state["vip"] == "10.0.0.10"
    assert state["vip_holder"] is None and state["vip_holders"] == ["haproxy1", "haproxy2"]
    assert state["nodes"] == [{"name": "web1", "up": True}]
    assert {"servers", "table", "action", "scenarios"} <= set(state)


def test_a_page_that_reads_no_more_is_dropped_not_waited_for() -> None:
    async def scenario() -> bool:
        h = hub()
        subscriber, _ = h.subscribe(asyncio.get_running_loop())
        for i in range(subscriber.queue.maxsize + 5):
            h.publish("http", sent=i)
        await asyncio.sleep(0.05)  # (the puts run on the loop)
        return subscriber.dropped

    assert asyncio.run(scenario())


def test_a_flood_of_requests_keeps_the_timeline_s_events() -> None:
    async def scenario() -> list[str]:
        h = hub()
        h.set_vip("haproxy1", True)
        for i in range(3000):
            h.publish("http", sent=i)
        subscriber, _ = h.subscribe(asyncio.get_running_loop())
        return [
            subscriber.queue.get_nowait()["kind"]  # type: ignore[index]
            for _ in range(subscriber.queue.qsize())
        ]

    kinds = asyncio.run(scenario())
    assert kinds[0] == "vip" and kinds.count("http") == 1600


def test_watched_while_a_page_is_open() -> None:
    async def scenario() -> tuple[bool, bool]:
        h = hub()
        subscriber, _ = h.subscribe(asyncio.get_running_loop())
        open_ = h.watched
        h.unsubscribe(subscriber)
        return open_, h.watched

    assert asyncio.run(scenario()) == (True, False)


def test_a_node_event_is_a_change_not_the_first_look() -> None:
    h = hub()
    h.set_nodes([{"name": "web1", "up": True}])
    h.set_nodes([{"name": "web1", "up": True}])
    assert list(h.backlog) == []
    h.set_nodes([{"name": "web1", "up": False}])
    assert [e["node"] for e in h.backlog] == [{"name": "web1", "up": False}]
