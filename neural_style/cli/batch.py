"""The loop of the jobs that take several inputs (``run`` and ``apply``): with several, a
bad input is one line on stderr and skipped; alone, its error is the job's."""

from __future__ import annotations

import sys
import time

from neural_style.errors import NeuralStyleError


class Batch:
    """Inputs tried, failed (by label) and the time since the first; ``bar`` (tqdm) is
    where the skipped ones are said, above the progress bar."""

    def __init__(self, count, bar):
        self.several, self.bar = count > 1, bar
        self.tried, self.failed, self.start = 0, [], time.perf_counter()

    def attempt(self, label, work, *args):
        """``work(*args)``; None, once said and counted, where it raised a NeuralStyleError
        and there are several inputs (alone, the error goes to the job)."""
        self.tried += 1
        try:
            return work(*args)
        except NeuralStyleError as e:
            if not self.several:
                raise
            self.fail(label, f"{e}; skipped")
            return None

    def fail(self, label, why=None):
        """Count ``label`` as failed; say ``why`` where given."""
        if why:
            self.bar.write(f"neural-style: error: {why}", file=sys.stderr)
        self.failed.append(str(label))

    def finish(self, say) -> int:
        """Say how many were done and failed (with several); the job's exit status."""
        if self.several:
            names = f" ({', '.join(self.failed)})" if self.failed else ""
            say(
                f"done {self.tried - len(self.failed)}, failed {len(self.failed)}{names}, "
                f"{time.perf_counter() - self.start:.1f} s"
            )
        return 1 if self.failed else 0
