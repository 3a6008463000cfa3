"""The production gunicorn configuration (config/gunicorn.conf.py) with the access log off.

``make bench`` runs one server of ours with it beside the others: the difference in
gunicorn's CPU per request is what the access log line costs in a worker.
"""
import runpy
from pathlib import Path

_production = runpy.run_path(str(Path(__file__).resolve().parent.parent / "config"
                                 / "gunicorn.conf.py"))
globals().update({name: value for name, value in _production.items()
                  if not name.startswith("_")})
accesslog = None
