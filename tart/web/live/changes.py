"""Which blocks and work-packages the worker heard each commit change, for its page cache.

PostgreSQL announces them on CHANGES_CHANNEL in the committing transaction
(schema/030_subject_changes.sql): "<last event id> <subject> ...", a subject being a block by
header hash, a slot, or a work-package by hash, and "*" when a batch changed too many to name.
For each subject heard of, Changes keeps the id of the last commit that changed it: a page of
it that shows every event up to that id is still its page.

Memory is bounded: the most recently changed REMEMBERED subjects are kept, and `floor` stands
for every other, the id of the last commit that may have changed one of them: that of a forgotten
subject, of an "everything", or where the listener (re)connected, since nothing is known of what
was committed before.
"""

import logging
from collections import OrderedDict

log = logging.getLogger(__name__)

# Subjects remembered: many more than a network changes in a page's lifetime (seconds).
REMEMBERED = 20000
EVERYTHING = "*"


def block(header_hash: str) -> str:
    """A block by its header hash, '0x' and lower-case hex as stored."""
    return "b" + header_hash


def slot(number: int) -> str:
    """Every block of a slot."""
    return f"s{number}"


def work_package(work_package_hash: str) -> str:
    """A work-package by its hash, '0x' and lower-case hex as stored."""
    return "w" + work_package_hash


class Changes:
    def __init__(self, remembered: int = REMEMBERED):
        self._remembered = remembered
        self._last = OrderedDict()  # subject -> id of the last commit that changed it
        self.floor = 0

    def last(self, subject: str) -> int:
        """The id of the last commit heard of that may have changed `subject`."""
        return max(self.floor, self._last.get(subject, 0))

    def forget(self, committed_id: int) -> None:
        """Anything committed up to `committed_id` may have changed anything (reconnected)."""
        self._last.clear()
        self.floor = max(self.floor, committed_id)

    def heard(self, payload: str) -> None:
        """Take in a notification '<last id> <subject> ...'."""
        first, _, subjects = payload.partition(" ")
        try:
            last_id = int(first)
        except ValueError:
            log.warning("page cache: ignoring notification %r, which is not '<id> ...'", payload)
            return
        for subject in subjects.split():
            if subject == EVERYTHING:
                self.floor = max(self.floor, last_id)
                continue
            self._last[subject] = max(self._last.pop(subject, 0), last_id)
            if len(self._last) > self._remembered:
                self.floor = max(self.floor, self._last.popitem(last=False)[1])
