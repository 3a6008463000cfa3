"""What every refusal of a request Django cannot read looks like, wherever it is answered."""
import logging


def assert_refused(response, body, log, exception):
    """A JSON 400 ``body``, and in ``log`` (caplog) one ``django.security.<exception>``
    WARNING without a traceback and nothing at ERROR."""
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == body
    [line] = [r for r in log.records if r.name.startswith("django.security")]
    assert (line.name, line.levelno, line.exc_info) == (
        f"django.security.{exception}", logging.WARNING, None)
    assert [r for r in log.records if r.levelno >= logging.ERROR or r.exc_info] == []
