"""Deployment: nginx configuration (``nginx/``) and ``local_proxy``, which runs it locally."""
