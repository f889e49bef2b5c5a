"""Memory mistakes: a copy where memory is shared, shared memory where a copy is wanted.

One detector per module, registered with ``@detector``; found by tutor.judge.detectors."""
