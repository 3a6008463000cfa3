"""The demo project's settings read the environment into the AUTH0_JWT namespace
(``config/settings.py``); the namespace itself is tested in ``tests/app/test_settings.py``."""


def test_env_variables_fill_the_namespace(monkeypatch):
    import importlib

    import config.settings as project_settings

    monkeypatch.setenv("AUTH0_DOMAIN", "dev-xyz.eu.auth0.com")
    monkeypatch.setenv("AUTH0_AUDIENCE", "https://one,https://two")
    monkeypatch.setenv("AUTH0_LEEWAY", "15")
    reloaded = importlib.reload(project_settings)
    try:
        assert reloaded.AUTH0_JWT["DOMAIN"] == "dev-xyz.eu.auth0.com"
        assert reloaded.AUTH0_JWT["AUDIENCE"] == ["https://one", "https://two"]
        assert reloaded.AUTH0_JWT["LEEWAY"] == 15.0
    finally:
        monkeypatch.undo()
        importlib.reload(project_settings)
