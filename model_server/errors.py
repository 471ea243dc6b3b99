"""Errors of the model server's launcher, rooted at `contracts.errors.SlipstackError`."""

from __future__ import annotations

from contracts.errors import SlipstackError


class ServerStartError(SlipstackError):
    """The server did not come up: it exited (its log says why) or did not become ready in time."""

    exit_code = 1


class PortInUse(ServerStartError):
    """The requested HTTP port is taken: bad input, choose another."""

    exit_code = 2
