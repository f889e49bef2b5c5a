"""Type and dtype mistakes: a list or array for a tensor, integers for floats and back.

One detector per module, registered with ``@detector``; found by tutor.judge.detectors."""
