"""The resolver reached over a real TLS connection (HTTPS on 127.0.0.1 with a throwaway certificate): the
scheme of its anchors, redirects and description file is the one the request came over."""
from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import ssl
import threading
from contextlib import contextmanager

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        pass


def _certificate(folder):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


@contextmanager
def https_server(app, folder):
    cert, key = _certificate(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_port, ssl.create_default_context(cafile=str(cert))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_over_https_every_answer_names_https(app, world, codes, tmp_path):
    with https_server(app, tmp_path) as (port, trust):
        root = f"https://127.0.0.1:{port}"

        def ask(method, path, **headers):
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=trust, timeout=10)
            conn.request(method, path, headers=headers)
            answer = conn.getresponse()
            body = answer.read()
            conn.close()
            return answer, body

        for kind in ("serial", "gtin", "lot"):
            answer, _ = ask("GET", codes[kind])
            assert answer.status == 307 and answer.getheader("Location").startswith(root + "/"), kind
            assert f"<{root}{codes[kind].split('?')[0]}?linkType=linkset>" in answer.getheader("Link"), kind
            head, body = ask("HEAD", codes[kind])
            assert head.status == 307 and body == b"", kind
            preflight, _ = ask("OPTIONS", codes[kind].split("?")[0], Origin="https://app.example",
                               **{"Access-Control-Request-Method": "GET"})
            assert preflight.status == 204 and preflight.getheader("Access-Control-Allow-Origin") == "*", kind
            linkset, body = ask("GET", codes[kind].split("?")[0] + "?linkType=linkset")
            anchors = [c["anchor"] for c in json.loads(body)["linkset"]]
            assert linkset.status == 200 and all(a.startswith(root + "/01/") for a in anchors), kind
        described, body = ask("GET", "/.well-known/gs1resolver")
        assert described.status == 200 and json.loads(body)["resolverRoot"] == root
