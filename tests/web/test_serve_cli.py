"""``badge token create|list|revoke`` and ``badge serve``'s checks before it starts uvicorn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from openbadge_ctq.errors import InputError
from openbadge_ctq.web.factory import ServeConfig, build_settings
from openbadge_ctq.web.tokens import TokenStore
from openbadge_ctq_cli.commands.serve import serve, token
from openbadge_ctq_cli.context import AppContext


def test_token_create_list_revoke(tmp_path: Path) -> None:
    runner = CliRunner()
    obj = AppContext(home=tmp_path)
    created = runner.invoke(token, ["create", "--name", "district-sis", "--json"], obj=obj)
    assert created.exit_code == 0, created.output
    doc = json.loads(created.output)
    assert doc["token"].startswith("obt_") and doc["hash"].startswith("sha256:")
    stored = (tmp_path / "api-tokens.json").read_text()
    assert doc["token"] not in stored
    assert (tmp_path / "api-tokens.json").stat().st_mode & 0o777 == 0o600
    listed = runner.invoke(token, ["list"], obj=obj)
    assert doc["id"] in listed.output and "obt_" not in listed.output
    revoked = runner.invoke(token, ["revoke", doc["id"]], obj=obj)
    assert revoked.exit_code == 0 and "Revoked" in revoked.output
    assert TokenStore(tmp_path).active_hashes() == frozenset()
    unknown = runner.invoke(token, ["revoke", "tok-nope"], obj=obj)
    assert unknown.exit_code != 0


def test_serve_refuses_half_a_tls_pair_and_a_missing_trust_file(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    runner = CliRunner()
    obj = AppContext(home=tmp_path)
    half = runner.invoke(serve, ["--tls-cert", str(cert)], obj=obj)
    assert half.exit_code == 2 and "--tls-key" in half.output
    missing = runner.invoke(serve, ["--trust", str(tmp_path / "nope.json")], obj=obj)
    assert missing.exit_code != 0


def test_serve_config_round_trip_and_settings(tmp_path: Path) -> None:
    config = ServeConfig(home=str(tmp_path), rate_per_minute=12, max_upload_bytes=4096)
    assert ServeConfig.from_env(config.to_env()) == config
    settings = build_settings(config, api_token="obt_local")
    assert settings.rate_per_minute == 12 and settings.max_upload_bytes == 4096
    assert settings.issuer is None and len(settings.api_token_hashes) == 1


def test_serve_issuer_loads_the_key_from_the_badge_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    from openbadge_ctq import load_catalog, verify
    from openbadge_ctq.keys import KeyType
    from openbadge_ctq.store import KeyStore
    from openbadge_ctq.web import create_app

    monkeypatch.setenv("BADGE_PASSPHRASE", "correct horse battery staple")
    KeyStore(tmp_path, kdf_rounds=1000).generate("ctq", KeyType.ED25519, passphrase=b"correct horse battery staple")
    settings = build_settings(ServeConfig(home=str(tmp_path), issuer="ctq"), api_token="obt_local")
    assert settings.issuer is not None and settings.issuer.issuer_id.startswith("did:")
    from openbadge_ctq import Recipient, issue_credential

    from .conftest import ACHIEVEMENT, KEY, NOW

    template = dict(
        issue_credential(load_catalog(), ACHIEVEMENT, Recipient(email="t@example.org"), KEY, now=NOW).credential
    )
    template.pop("proof")
    template["issuer"] = {**template["issuer"], "id": settings.issuer.issuer_id}
    client = TestClient(create_app(settings))
    issued = client.post(
        "/credentials/issue", json={"credential": template}, headers={"authorization": "Bearer obt_local"}
    )
    assert issued.status_code == 201, issued.text
    assert verify(issued.json()["verifiableCredential"], now=NOW).verified
    monkeypatch.delenv("BADGE_PASSPHRASE")
    with pytest.raises(InputError, match="BADGE_PASSPHRASE"):
        build_settings(ServeConfig(home=str(tmp_path), issuer="ctq"))


@pytest.mark.allow_hosts(["127.0.0.1"])
def test_serve_turns_nagle_off_on_the_socket_uvicorn_binds_for_several_workers() -> None:
    import socket

    import uvicorn

    from openbadge_ctq_cli.commands.serve import tcp_nodelay

    config = uvicorn.Config("openbadge_ctq.web.factory:app_from_env", host="127.0.0.1", port=0, workers=2)
    with tcp_nodelay(uvicorn.config.Config):
        sock = config.bind_socket()
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()
    plain = config.bind_socket()  # restored afterwards: uvicorn's own behaviour (Nagle on)
    try:
        assert plain.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
    finally:
        plain.close()
