"""Plain data shared by tests (importable because pytest puts rootdir-relative tests/ on path)."""

# (latitude, longitude) of real places, from their town halls.
GRENOBLE = (45.1885, 5.7245)
BREST = (48.3904, -4.4861)
LYON = (45.7640, 4.8357)
RENNES = (48.1173, -1.6778)
