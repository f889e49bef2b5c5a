import sys

name = input("Your name? ")
age = int(input("Your age? "))
print(f"hello {name}, next year you are {age + 1}")
print("rest:", sys.stdin.read().split())
