"""Named points in a build where a test can hold it, to kill it there (crash-safety tests).

With the environment variable ``AIGEO_PAUSE_AT`` set, the build prints ``at <point>`` to stderr
as it reaches each point, and at the point it names it waits (up to two minutes) for the test
to send SIGKILL. Unset, :func:`pause_point` does nothing. Points: each stage as it starts
(``parse``, ``provenance``, ``derive``, ``shacl``, ``reason``, ``qc``, ``write``), then
``write:files`` (every file written, the build folder not yet marked complete) and
``write:linked`` (``dist`` swapped to the new build, older builds not yet pruned).
See docs/decisions/20261123-hostile-input.md.
"""

from __future__ import annotations

import os
import sys
import time

ENV = "AIGEO_PAUSE_AT"
_WAIT_SECONDS = 120


def pause_point(name: str) -> None:
    """Announce ``name`` and wait there if ``AIGEO_PAUSE_AT`` names it."""
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    print(f"at {name}", file=sys.stderr, flush=True)
    if wanted == name:
        time.sleep(_WAIT_SECONDS)
