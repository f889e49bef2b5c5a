import pickle


class Counter:
    def __init__(self):
        self.counts = {}

    def add(self, word):
        self.counts[word] = self.counts.get(word, 0) + 1


c = Counter()
for w in "the cat and the hat".split():
    c.add(w)
data = pickle.dumps(c)
back = pickle.loads(data)
print(type(back).__name__, back.counts)


def double(n):
    return 2 * n


print(pickle.loads(pickle.dumps(double))(21))
