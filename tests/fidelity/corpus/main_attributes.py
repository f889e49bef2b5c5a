"""Module docstring of a script."""
import os
import sys

print(__name__, __doc__, __package__, __spec__, __cached__)
print(type(__loader__).__name__, __loader__.name, __loader__.path == __file__)
print(os.path.basename(__file__), os.path.isabs(__file__))
print([k for k in globals() if k.startswith("__")])
print(sys.modules["__main__"] is sys.modules[__name__], sys.modules["__main__"].__doc__)
print(type(__builtins__).__name__)
