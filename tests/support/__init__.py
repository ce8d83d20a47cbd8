"""Support code shared by every test folder; fixtures stay in the conftest.py files.

Importable as ``support`` because pytest puts ``tests/`` on its path (``pythonpath`` in
pyproject.toml):

- ``support.data``: places, the common password and ``Account``;
- ``support.scenario``: ``Hub``, scenario shortcuts through the API, and ``sign_up``;
- ``support.databases``: migrated templates, copied for every test;
- ``support.server``: real ``hub serve`` subprocesses and in-process uvicorn;
- ``support.browser``: Debian's chromium and a phone-sized page;
- ``support.pagecheck``: what every page test checks (one language, axe-core, headers, pictures);
- ``support.live``: a client of the ``/ws/live`` stream.
"""
