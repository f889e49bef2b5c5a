"""The torch side of checking: snapshots, checks, detectors, the verdict, the autograd graph."""
