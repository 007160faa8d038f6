"""call_with_room: a plain call from a roomy frame (gql/api/stack.py); its speed is measured in bench/, not here."""

import pytest

from newsgraph.api.stack import call_with_room


def _depth(levels: int, **extra: int) -> int:
    return 0 if levels == 0 else 1 + _depth(levels - 1, **extra)


def test_passes_arguments_and_returns_the_result():
    assert call_with_room(_depth, 600, unused=1) == 600


def test_lets_exceptions_through():
    with pytest.raises(ZeroDivisionError):
        call_with_room(lambda: 1 / 0)


def test_nests_and_recurses_past_its_room():
    # each level declares 128 KiB of stack: nesting must still work, and so must recursion deeper than the room
    assert call_with_room(call_with_room, call_with_room, _depth, 900) == 900
