"""The operator directory: names for the ids in holders, messages and the journal."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from backend_client import Operator

__all__ = ["OperatorDirectory", "told_apart"]


def told_apart(operators: Iterable[Operator]) -> dict[str, str]:
    """Operator id → the name to show: the name, and a short id when another operator has
    the same one (`sam #9f3c`). New operators cannot share a name (`hitl operator add`
    refuses), but a database from before that rule may hold two "sam"s."""
    listed = list(operators)
    counts = Counter(" ".join(op.name.split()).casefold() for op in listed)
    return {
        op.id: (
            f"{op.name} #{op.id[-4:]}"
            if counts[" ".join(op.name.split()).casefold()] > 1
            else op.name
        )
        for op in listed
    }


class OperatorDirectory:
    """Operator id → name, and which unknown ids it was already reloaded for.

    An id it does not know (an operator added since it was loaded) asks for
    one reload of the directory; asking again for the same id does not.
    """

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        """Operator id → name, as the backend last listed them."""
        self._asked: set[str] = set()

    def load(self, operators: Iterable[Operator]) -> None:
        """Replace what is known with the backend's list."""
        # In place: whoever holds `names` sees the new ones.
        self.names.clear()
        self.names.update(told_apart(operators))

    def lookup(self, operator_id: str | None) -> tuple[str | None, bool]:
        """The name of `operator_id` if known, and whether to load the directory again."""
        if not operator_id:
            return None, False
        name = self.names.get(operator_id)
        if name is None and operator_id not in self._asked:
            self._asked.add(operator_id)
            return None, True
        return name, False
