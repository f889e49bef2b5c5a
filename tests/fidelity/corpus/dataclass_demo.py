import copy
from dataclasses import KW_ONLY, dataclass, field


@dataclass
class Config:
    lr: float
    _: KW_ONLY
    epochs: int = 3
    tags: list = field(default_factory=list)


c = Config(0.1, epochs=5)
print(c)
d = copy.deepcopy(c)
d.tags.append("x")
print(c, d, c == d)
print(Config.__annotations__)
