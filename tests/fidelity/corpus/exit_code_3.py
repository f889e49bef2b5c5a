import sys

print("about to stop")
sys.exit(3)
print("not reached")
