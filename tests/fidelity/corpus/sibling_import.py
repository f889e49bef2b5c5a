import helpers_mod
from helpers_mod import scale

print(helpers_mod.GREETING, helpers_mod.__name__)
print(scale([1, 2, 3], 2))
