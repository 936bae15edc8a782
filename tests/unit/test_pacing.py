"""Channel pacing and the per-channel lanes the dispatcher's workers take from (fake clock)."""

from __future__ import annotations

from jikoflow.notifications.pacing import ChannelPacer, Lanes


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_pacer_spaces_a_channel_from_its_last_reply_and_honours_retry_after() -> None:
    clock = Clock()
    pacer = ChannelPacer(1.0, clock=clock)
    assert pacer.ready_at("C1") == 0.0
    pacer.done("C1")
    assert pacer.ready_at("C1") == 101.0
    pacer.done("C1", pause=30)
    assert pacer.ready_at("C1") == 130.0
    assert pacer.ready_at("C2") == 0.0


def test_a_channel_is_never_handed_out_twice_at_once() -> None:
    clock = Clock()
    lanes = Lanes([("A", 1), ("A", 2), ("B", 3)], ChannelPacer(1.0, clock=clock))
    assert lanes.take() == ("A", 1)
    assert lanes.take() == ("B", 3)
    lanes.finish("B")
    lanes.finish("A")
    assert lanes.take() == ("A", 2)
    lanes.finish("A")
    assert lanes.take() is None


def test_the_channel_ready_soonest_goes_first() -> None:
    clock = Clock()
    pacer = ChannelPacer(1.0, clock=clock)
    pacer.done("A")  # A just had a message: ready at 101
    lanes = Lanes([("A", 1), ("B", 2)], pacer)
    assert lanes.take() == ("B", 2)
    clock.now = 101.0
    assert lanes.take() == ("A", 1)


def test_drain_removes_what_waits_for_a_channel() -> None:
    lanes = Lanes([("A", 1), ("A", 2), ("A", 3)], ChannelPacer(0))
    assert lanes.take() == ("A", 1)
    assert lanes.drain("A") == [2, 3]
    lanes.finish("A")
    assert lanes.take() is None
