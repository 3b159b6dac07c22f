"""The case kinds, one state table each. Importing this package registers them with the engine."""

from zhifa.cases.kinds import inspection, penalty, simple  # noqa: F401
