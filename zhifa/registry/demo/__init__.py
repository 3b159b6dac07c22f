"""The demo county: one fictional justice bureau supervising the five agencies of the seed plans.

`zhifa demo` calls `load_demo()` on an empty database; see docs/decisions/0007-demo-county.md.
"""

from zhifa.registry.demo.agencies import BUREAU_NAME, DEMO_PASSWORD
from zhifa.registry.demo.loader import (
    EMPTY,
    LOADED,
    OCCUPIED,
    DemoResult,
    Login,
    demo_state,
    existing_logins,
    load_demo,
)

__all__ = [
    "BUREAU_NAME", "DEMO_PASSWORD", "EMPTY", "LOADED", "OCCUPIED", "DemoResult", "Login", "demo_state",
    "existing_logins", "load_demo",
]
