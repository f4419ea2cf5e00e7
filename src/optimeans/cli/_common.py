"""Helpers shared by the subcommands."""

from __future__ import annotations

import json
import sys
from typing import Any


class CLIError(Exception):
    """Bad input or options: printed as one line on stderr, exit status 2."""


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")
