import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
print(sys.argv)
print(sys.path[0] == here, os.getcwd() == here)
print(os.path.basename(sys.argv[0]))
