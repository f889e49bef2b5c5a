"""Device mistakes: the right values on the wrong device.

One detector per module, registered with ``@detector``; found by tutor.judge.detectors."""
