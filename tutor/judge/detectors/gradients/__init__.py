"""Autograd mistakes: gradients that pile up, read from non-leaves, never tracked or computed.

One detector per module, registered with ``@detector``; found by tutor.judge.detectors."""
