"""`model-jobs webhook-receiver`: what a newcomer watches notifications arrive in."""

from __future__ import annotations

import io
import json
import threading
import urllib.request

from model_jobs.demo.webhook_receiver import describe, make_server


def test_it_prints_the_message_text_then_its_fields():
    body = json.dumps({"text": "Model Job m@marketing_prd failed (tag 1): boom\nhttp://ui/runs/r", "model": "m"})
    assert describe("/prd", body.encode()) == (
        "POST /prd\nModel Job m@marketing_prd failed (tag 1): boom\nhttp://ui/runs/r\n"
        + json.dumps(json.loads(body), sort_keys=True)
    )
    assert describe("/x", b"not json") == "POST /x\nnot json"


def test_it_answers_200_and_prints_each_post():
    out = io.StringIO()
    server = make_server(0, out)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/prd"
        request = urllib.request.Request(url, data=b'{"text": "hello"}', method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
    finally:
        server.shutdown()
        server.server_close()
    assert out.getvalue().split("] ", 1)[1] == 'POST /prd\nhello\n{"text": "hello"}\n\n'
