"""Reading a kubeconfig (inline values only), checking a CA, sealing credentials; and the health
check's ping of every cluster."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from imas.db import acting_in
from imas.errors import ValidationFailed
from imas.kubernetes import credentials
from imas.kubernetes.client import AVAILABLE, UNAVAILABLE
from imas.kubernetes.service.health import cluster_statuses
from tests.kubernetes.helpers import register
from tests.notify.receivers import free_port


def self_signed() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes-ca")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key_pem


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class TestKubeconfig:
    def test_a_client_certificate_and_the_ca_are_read_inline(self):
        pem, key = self_signed()
        text = f"""
current-context: admin@prod
clusters:
- name: prod
  cluster: {{server: "https://10.0.0.1:6443", certificate-authority-data: {b64(pem)}}}
- name: other
  cluster: {{server: "https://10.9.9.9:6443"}}
contexts:
- name: admin@prod
  context: {{cluster: prod, user: admin}}
- name: other
  context: {{cluster: other, user: admin}}
users:
- name: admin
  user: {{client-certificate-data: {b64(pem)}, client-key-data: {b64(key)}}}
"""
        found = credentials.from_kubeconfig(text, None)
        assert found.api_server_url == "https://10.0.0.1:6443"
        assert found.auth_method == credentials.CLIENT_CERTIFICATE
        assert found.ca_cert == pem
        assert set(found.credentials) == {"client_certificate_data", "client_key_data"}
        assert credentials.from_kubeconfig(text, "other").api_server_url == (
            "https://10.9.9.9:6443"
        )

    def test_an_unknown_context(self):
        with pytest.raises(ValidationFailed, match="no context named 'nope'"):
            credentials.from_kubeconfig("current-context: nope\ncontexts: []\n", None)

    def test_a_ca_must_be_a_certificate(self):
        pem, _ = self_signed()
        assert credentials.check_ca(pem) == pem
        with pytest.raises(ValidationFailed):
            credentials.check_ca("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----")
        with pytest.raises(ValidationFailed):  # not ASCII
            credentials.check_ca("\u00bf\u00b3\u00ee\u0014")

    def test_sealed_credentials_open_under_a_previous_key(self, make_settings):
        old = make_settings(secret_key="old-" + "k" * 40)
        sealed = credentials.seal({"token": "t0ken"}, old)
        assert "t0ken" not in sealed
        new = make_settings(secret_key="new-" + "k" * 40, previous_secret_keys=[old.secret_key])
        assert credentials.open_(sealed, new) == {"token": "t0ken"}
        with pytest.raises(credentials.CredentialsUnreadable):
            credentials.open_(sealed, make_settings(secret_key="other-" + "k" * 40))


class TestHealth:
    async def test_each_cluster_is_available_or_not(self, client, admin, db, k8s_settings, k8s):
        await register(client, admin, k8s.url)
        await register(client, admin, f"http://127.0.0.1:{free_port()}", name="gone")
        async with db.transaction(write=False) as session:
            with acting_in(session, admin.org.id):
                found = await cluster_statuses(session, k8s_settings, 1.0)
        assert found["gone"] == (UNAVAILABLE, None)
        status, ms = found["production-cluster"]
        assert status == AVAILABLE
        assert ms is not None
        assert ms >= 0
