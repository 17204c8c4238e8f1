from tests.support.procs import BIN, free_port, running, wait_for_http


def test_gunicorn_with_two_gevent_workers_serves_health(database_url):
    port = free_port()
    env = {"DATABASE_URL": database_url, "API_BIND": f"127.0.0.1:{port}", "TART_WEB_WORKERS": "2"}
    with running([BIN / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], env) as web:
        url = f"http://127.0.0.1:{port}/api/health"
        response = wait_for_http(url, process=web)
        assert response.headers["Content-Type"] == "application/json"
        assert response.json() == {"status": "ok", "service": "tart-backend", "version": "0.1.0"}
        output = web.output()
        assert "Using worker: gevent" in output
        assert f"Listening at: http://127.0.0.1:{port} (" in output
        assert output.count("Booting worker") == 2
