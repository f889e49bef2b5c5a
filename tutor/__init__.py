"""torch-tutor: a chat-style terminal tutor for PyTorch; the stages are its subpackages.

Layers: cli > validate, testing > session > render, pipeline, progress > sandbox > judge > course
> codeinfo, i18n; a module imports only below it (docs/architecture.md, tests/test_layers.py).
"""

__version__ = "0.1.0"
