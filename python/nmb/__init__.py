# SPDX-License-Identifier: GPL-2.0
"""nmb - automate the boards of an nmb board farm, and boards plugged in
locally: a client of nmb-agent's control socket (Agent, Place), a serial
console with modem lines (nmb.serial), SCPI power (nmb.power), a GPIO shim
client (nmb.gpio), a pytest plugin (nmb.pytest_plugin) and a converter of
not-my-board's TOML files (nmb.from_toml). Standard library only.
"""

from .agent import Agent
from .errors import (AgentNotRunning, ConsoleClosed, Conflict,
                     ExpectTimeout, NmbError, NotFound, Timeout,
                     Unavailable, UsageError)
from .place import Interface, Place

__version__ = "0.1.0"
__all__ = ["Agent", "Place", "Interface", "NmbError", "AgentNotRunning",
           "NotFound", "Conflict", "Timeout", "Unavailable", "UsageError",
           "ConsoleClosed", "ExpectTimeout"]
