"""The alternatives a Django team would otherwise pick, on the same DRF routes, for comparison.

Installed into a virtualenv of the benchmark's own (``venv.py``), never into the project's
dependencies: ``authentication.py`` holds one DRF authentication class per peer,
``settings.py`` swaps it in (nothing else differs from the project's settings), ``micro.py``
measures each in process.
"""
