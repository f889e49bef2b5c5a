import atexit


@atexit.register
def goodbye():
    print("atexit: saving checkpoint")


print("training")
raise SystemExit(5)
