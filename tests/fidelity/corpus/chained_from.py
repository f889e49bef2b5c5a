def load(path):
    try:
        return open(path).read()
    except FileNotFoundError as exc:
        raise RuntimeError(f"cannot load the data set from {path}") from exc


load("no_such_file.csv")
