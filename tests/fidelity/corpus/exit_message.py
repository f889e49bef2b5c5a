import sys

print("checking")
sys.exit("config file missing: please create config.toml")
