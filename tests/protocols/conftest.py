"""Fixtures for the protocol engine tests."""

from __future__ import annotations

import pytest
from protocol_support import VirtualClock

from protocols import ProtocolLibrary


@pytest.fixture(scope="session")
def library() -> ProtocolLibrary:
    return ProtocolLibrary()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()
