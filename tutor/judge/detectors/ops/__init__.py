"""The wrong operation or arguments: `*` for `@` and back, `arange`'s end, `linspace`'s count.

One detector per module, registered with ``@detector``; found by tutor.judge.detectors."""
