# saved by an old editor without a coding line
text = "café"
print(text)
