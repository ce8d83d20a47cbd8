"""Rate limits every process shares, and the client's real address behind trusted proxies.

- ``clients``: who the client is (``X-Forwarded-For`` believed only from configured proxies);
- ``storage``: the counters in the hub's database, for the ``limits`` library;
- ``limiter``: the limits of each action (sign-in, sign-up, reset, need creation) and the 429.
"""
