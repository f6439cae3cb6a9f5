"""The command-line side of issue 12: account changes, session ends, OIDC binding, broker accounts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from csm.auth.sessions import SessionBook
from csm.auth.tokens import TokenError
from csm.auth.users import UserDirectory
from csm.cli import app as cli
from csm.store.factory import open_store

PASSWORD = "correct-horse-battery"


def test_users_set_logout_and_oidc_binding(tmp_path: Path) -> None:
    store = f"duckdb:{tmp_path}/users.duckdb"
    runner = CliRunner(env={"NEW_PASSWORD": PASSWORD})
    added = runner.invoke(cli, ["users", "add", "piet", "--role", "administrator", "--site", "tiny",
                                "--store", store, "--password-env", "NEW_PASSWORD"])
    assert added.exit_code == 0, added.output
    bound = runner.invoke(cli, ["users", "add", "ext", "--role", "police", "--site", "tiny", "--store", store,
                                "--external", "--oidc-issuer", "https://idp.example/", "--oidc-subject", "s-1"])
    assert bound.exit_code == 0, bound.output
    opened = open_store(store)
    token = SessionBook(opened).open(UserDirectory(opened).get("piet"))
    opened.close()
    demoted = runner.invoke(cli, ["users", "set", "piet", "--role", "viewer", "--store", store])
    assert demoted.exit_code == 0 and "now viewer" in demoted.output
    ended = runner.invoke(cli, ["users", "logout", "piet", "--store", store])
    assert ended.exit_code == 0, ended.output
    opened = open_store(store)
    try:
        directory = UserDirectory(opened)
        assert directory.get("piet").role.value == "viewer"  # type: ignore[union-attr]
        assert directory.by_external("https://idp.example", "s-1").username == "ext"  # type: ignore[union-attr]
        assert directory.by_external("https://idp.example", "s-2") is None
        with pytest.raises(TokenError):
            SessionBook(opened).resolve(token)
    finally:
        opened.close()


@pytest.mark.skipif(shutil.which("mosquitto_passwd") is None, reason="mosquitto_passwd is not installed")
def test_mqtt_gateway_accounts_get_a_password_and_an_acl_of_their_sensors(tmp_path: Path, tiny_site_dir: Path) -> None:
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    acl.write_text("# hand-written line kept\n", encoding="utf-8")
    runner = CliRunner()
    common = ["--passwd", str(passwd), "--acl", str(acl)]
    made = runner.invoke(cli, ["mqtt", "gateway", "gw-1", "--site", str(tiny_site_dir), "--sensor", "cam-a", *common])
    assert made.exit_code == 0 and "password: " in made.output, made.output
    again = runner.invoke(cli, ["mqtt", "gateway", "gw-1", "--site", str(tiny_site_dir), "--sensor", "lc-b", *common])
    assert again.exit_code == 0, again.output
    assert runner.invoke(cli, ["mqtt", "ingest-account", *common]).exit_code == 0
    unknown = runner.invoke(cli, ["mqtt", "gateway", "gw-2", "--site", str(tiny_site_dir), "--sensor", "nope", *common])
    assert unknown.exit_code == 2
    text = acl.read_text(encoding="utf-8")
    assert "# hand-written line kept" in text
    assert "topic write csm/tiny/sensors/lc-b/counts" in text
    assert "cam-a" not in text  # the gateway's block was replaced, not appended to
    assert "user csm-ingest\ntopic read csm/+/sensors/+/counts" in text
    users = {line.split(":", 1)[0] for line in passwd.read_text().splitlines()}
    assert users == {"gw-1", "csm-ingest"}
    assert "gw-1:" in passwd.read_text() and PASSWORD not in passwd.read_text()
