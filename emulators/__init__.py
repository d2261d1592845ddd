"""Local HTTP emulators of the remote services Calendar Sync talks to.

They are product code: faithful to the public API documentation, used by the test suites, the
demo (``python -m emulators google --seed-demo``) and the benchmarks. Pure standard library
except where a provider needs its official artefacts (the Google emulator reads Google's
discovery document from ``google-api-python-client``).
"""

from .base import (
    EmulatorError,
    EmulatorServer,
    Fault,
    Faults,
    Headers,
    RecordedRequest,
    Response,
)

__all__ = [
    "EmulatorError",
    "EmulatorServer",
    "Fault",
    "Faults",
    "Headers",
    "RecordedRequest",
    "Response",
]
