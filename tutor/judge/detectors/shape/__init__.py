"""Shape mistakes: a transposed result, size-1 dims, broadcasting into a grid.

One detector per module, registered with ``@detector``; found by tutor.judge.detectors."""
