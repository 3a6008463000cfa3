"""config/gunicorn_logging.py: gunicorn's access and error logs never hold a credential,
whatever access-log format an operator chooses."""
import datetime
import json
import logging
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from config.gunicorn_logging import JSONLogger, RedactingLogger

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
# Every atom that can show the URL or a header, including the credential ones.
CARELESS_FORMAT = ('%(h)s "%(r)s" %(q)s "%(f)s" %({authorization}i)s %({cookie}i)s '
                   '%({http_authorization}e)s %({raw_uri}e)s %({query_string}e)s %(s)s')


def request_parts(query=f"access_token={JWT}&page=2"):
    headers = [("AUTHORIZATION", f"Bearer {JWT}"), ("COOKIE", f"sessionid={JWT}"),
               ("REFERER", f"https://app.example.com/cb?access_token={JWT}")]
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/api/private?{query}",
               "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": "/api/private", "QUERY_STRING": query,
               "REMOTE_ADDR": "203.0.113.7", "HTTP_AUTHORIZATION": f"Bearer {JWT}",
               "HTTP_COOKIE": f"sessionid={JWT}", "HTTP_USER_AGENT": "test-agent",
               "HTTP_REFERER": f"https://app.example.com/cb?access_token={JWT}"}
    resp = SimpleNamespace(status="401 Unauthorized", sent=60, headers=[("Set-Cookie", JWT)])
    req = SimpleNamespace(headers=headers)
    return resp, req, environ, datetime.timedelta(milliseconds=4)


@pytest.fixture
def access_log(tmp_path):
    path = tmp_path / "access.log"

    def make(logger_class, access_format=CARELESS_FORMAT):
        cfg = Config()
        cfg.set("accesslog", str(path))
        cfg.set("errorlog", str(tmp_path / "error.log"))
        cfg.set("access_log_format", access_format)
        logger = logger_class(cfg)
        return logger, path

    yield make
    for name in ("gunicorn.access", "gunicorn.error"):
        for handler in list(logging.getLogger(name).handlers):
            handler.close()
            logging.getLogger(name).removeHandler(handler)


def test_even_a_careless_access_format_records_no_credential(access_log):
    logger, path = access_log(RedactingLogger)
    logger.access(*request_parts())
    line = path.read_text()
    assert JWT not in line and "c2lnbmF0dXJl" not in line
    assert line.startswith('203.0.113.7 "GET /api/private?access_token=[redacted]&page=2 HTTP/1.1" '
                           'access_token=[redacted]&page=2 '
                           '"https://app.example.com/cb?access_token=[redacted]" - - - ')
    assert line.rstrip().endswith(" 401")


def test_json_access_line_has_the_request_fields_and_no_credential(access_log):
    logger, path = access_log(JSONLogger)
    logger.access(*request_parts())
    text = path.read_text()
    assert JWT not in text
    entry = json.loads(text)
    assert entry["logger"] == "gunicorn.access"
    assert entry["message"] == "GET /api/private 401"
    assert {k: entry[k] for k in ("remote_addr", "method", "path", "query", "status", "bytes",
                                  "duration_ms", "user_agent")} == {
        "remote_addr": "203.0.113.7", "method": "GET", "path": "/api/private",
        "query": "access_token=[redacted]&page=2", "status": 401, "bytes": 60,
        "duration_ms": 4, "user_agent": "test-agent"}


def test_error_log_lines_are_redacted(access_log, tmp_path):
    logger, _ = access_log(RedactingLogger)
    # What gunicorn writes for a malformed request line.
    logger.warning("Invalid request from ip=127.0.0.1: Invalid HTTP request line: "
                   "'GET /x?access_token=%s HTTP/1.1 junk'", JWT)
    text = (tmp_path / "error.log").read_text()
    assert JWT not in text
    assert "access_token=[redacted]" in text


def test_atoms_are_cleaned_as_the_format_reads_them_in_any_case(access_log):
    logger, path = access_log(RedactingLogger, '%({Authorization}i)s %({COOKIE}i)s '
                                               '%({Referer}i)s "%(a)s" %(nothing)s')
    resp, req, environ, elapsed = request_parts()
    environ["HTTP_USER_AGENT"] = 'agent "quoted"'
    logger.access(resp, req, environ, elapsed)
    line = path.read_text()
    assert JWT not in line
    # Credential headers are "-" whatever the case; an unknown atom is "-", quotes escaped.
    assert line.startswith('- - https://app.example.com/cb?access_token=')
    assert line.rstrip().endswith('"agent \\"quoted\\"" -')


def test_atoms_method_still_returns_every_atom_cleaned(access_log):
    logger, _ = access_log(RedactingLogger)
    atoms = logger.atoms(*request_parts())
    assert atoms["{authorization}i"] == "-" and atoms["{http_cookie}e"] == "-"
    assert atoms["q"] == "access_token=[redacted]&page=2"
    assert atoms["{raw_uri}e"] == "/api/private?access_token=[redacted]&page=2"
