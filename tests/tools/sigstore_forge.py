#!/usr/bin/env python3
"""The forge: a local, self-contained Sigstore instance for tests.

Writes into OUT_DIR a trusted root (Fulcio-like CA root + intermediate, a CT log, a Rekor v1
log, a Rekor v2 log with an Ed25519 checkpoint key, a TSA root + leaf), signed bundles (v0.1,
v0.2, v0.3; message signatures and DSSE envelopes of in-toto statements; Rekor v1 entries with
signed entry timestamps, inclusion proofs and signed checkpoints; Rekor v2 entries with an
RFC 3161 timestamp), one tampered bundle per check, and the registry payloads the attestation
gate reads (npm's attestations document, PyPI's PEP 740 provenance object, cosign's OCI
referrer and legacy `.sig` forms). `OUT_DIR/manifest.json` lists every case with the expected
outcome and the check a tampered case breaks.

Keys are derived from --seed, so two runs with the same seed give the same certificates and
trusted root; ECDSA signatures are randomised, so signatures differ between runs.

No network, no files outside OUT_DIR. Needs `cryptography` and `rfc8785` (both pinned by
scripts/install-tools.sh into the tools venv).

Usage: sigstore_forge.py OUT_DIR [--seed S] [--npm-tarball F --npm-name N --npm-version V]
       [--wheel F --pypi-version V] [--image-digest sha256:HEX --image-repo R]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import struct
import sys
from pathlib import Path

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = dt.timezone.utc
# Signing happens at T0; every window in the trusted root covers it.
T0 = dt.datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
# A second signing time past the TSA's validFor end in the trusted root (the TSA's certificates
# are still valid then): the "timestamp outside the TSA validity" case.
T_LATE = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
CA_START = dt.datetime(2024, 1, 1, tzinfo=UTC)
CA_END = dt.datetime(2035, 1, 1, tzinfo=UTC)
TSA_VALID_FOR = (dt.datetime(2025, 1, 1, tzinfo=UTC), dt.datetime(2026, 1, 1, tzinfo=UTC))
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
OWNER_REPO = "forge-owner/forge-repo"
TAG = "v1.2.3"
IDENTITY = f"https://github.com/{OWNER_REPO}/.github/workflows/release.yml@refs/tags/{TAG}"
OTHER_IDENTITY = f"https://github.com/evil-owner/forge-repo/.github/workflows/release.yml@refs/tags/{TAG}"
OTHER_ISSUER = "https://issuer.forge.test"
EMAIL_IDENTITY = "releaser@forge.test"
EMAIL_ISSUER = "https://accounts.forge.test"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
REKOR_V1_ORIGIN = "rekor.forge.test - 1193050959916656506"
REKOR_V2_ORIGIN = "log2025.rekor.forge.test"
INTOTO = "application/vnd.in-toto+json"
BUNDLE_V01 = "application/vnd.dev.sigstore.bundle+json;version=0.1"
BUNDLE_V02 = "application/vnd.dev.sigstore.bundle+json;version=0.2"
BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
SLSA_V1 = "https://slsa.dev/provenance/v1"
PYPI_PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
COSIGN_SIGN_V1 = "https://sigstore.dev/cosign/sign/v1"
SPDX = "https://spdx.dev/Document"
OID_SCT_LIST = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def canonical(obj) -> bytes:
    return rfc8785.dumps(obj)


# --- DER, just enough for RFC 3161 tokens and extension values ---------------------------------


def der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def seq(*items: bytes) -> bytes:
    return der(0x30, b"".join(items))


def set_of(*items: bytes) -> bytes:
    return der(0x31, b"".join(sorted(items)))


def der_int(value: int) -> bytes:
    raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    return der(0x02, raw)


def der_oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(chunk))
    return der(0x06, out)


def der_octets(data: bytes) -> bytes:
    return der(0x04, data)


def der_utf8(text: str) -> bytes:
    return der(0x0C, text.encode())


def der_gentime(when: dt.datetime) -> bytes:
    return der(0x18, when.strftime("%Y%m%d%H%M%SZ").encode())


def der_utctime(when: dt.datetime) -> bytes:
    return der(0x17, when.strftime("%y%m%d%H%M%SZ").encode())


# --- keys and certificates ---------------------------------------------------------------------


class Keys:
    """Every key derives from the seed and a label."""

    def __init__(self, seed: str):
        self.seed = seed

    def _scalar(self, label: str) -> bytes:
        return hashlib.sha512(f"{self.seed}/{label}".encode()).digest()

    def ec(self, label: str, curve=None) -> ec.EllipticCurvePrivateKey:
        curve = curve or ec.SECP256R1()
        order = {
            "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
            "secp384r1": int(
                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
                "581A0DB248B0A77AECEC196ACCC52973",
                16,
            ),
        }[curve.name]
        value = int.from_bytes(self._scalar(label), "big") % (order - 1) + 1
        return ec.derive_private_key(value, curve)

    def ed25519(self, label: str) -> ed25519.Ed25519PrivateKey:
        return ed25519.Ed25519PrivateKey.from_private_bytes(self._scalar(label)[:32])

    def serial(self, label: str) -> int:
        return int.from_bytes(self._scalar("serial/" + label)[:19], "big") | 1


def spki(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def cert_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def name(org: str, cn: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )


def ca_cert(keys, label, subject, key, issuer, issuer_key, *, root, eku=None):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(keys.serial(label))
        .not_valid_before(CA_START)
        .not_valid_after(CA_END)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None if root else 0), True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if not root:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), False)
    return builder.sign(issuer_key, hashes.SHA384())


def oidc_extensions(identity: str, issuer: str) -> list[x509.UnrecognizedExtension]:
    """Fulcio's OIDC claims: 1.1 (and the other deprecated ones) hold raw bytes, 1.8 and the
    later ones a DER UTF8String."""

    def raw(n, text):
        return x509.UnrecognizedExtension(x509.ObjectIdentifier(f"1.3.6.1.4.1.57264.1.{n}"), text.encode())

    def utf8(n, text):
        return x509.UnrecognizedExtension(x509.ObjectIdentifier(f"1.3.6.1.4.1.57264.1.{n}"), der_utf8(text))

    exts = [raw(1, issuer)]
    if identity.startswith("https://github.com/"):
        repo_url = identity.split("/.github/")[0]
        ref = identity.rsplit("@", 1)[1]
        exts += [raw(2, "push"), raw(3, COMMIT), raw(5, repo_url.removeprefix("https://github.com/")), raw(6, ref)]
        exts += [utf8(8, issuer), utf8(9, identity), utf8(10, COMMIT), utf8(11, "github-hosted")]
        exts += [utf8(12, repo_url), utf8(13, COMMIT), utf8(14, ref), utf8(18, identity), utf8(20, "push")]
    else:
        exts += [utf8(8, issuer)]
    return exts


def sct_extension(tbs: bytes, issuer_spki: bytes, ct_key, when: dt.datetime) -> x509.UnrecognizedExtension:
    """An RFC 6962 SCT over the precertificate (the TBS without the SCT list), signed by ct_key."""
    log_id = sha256(spki(ct_key))
    millis = int(when.timestamp() * 1000)
    signed = (
        struct.pack(">BBQH", 0, 0, millis, 1)
        + sha256(issuer_spki)
        + len(tbs).to_bytes(3, "big")
        + tbs
        + struct.pack(">H", 0)
    )
    sig = ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
    sct = struct.pack(">B", 0) + log_id + struct.pack(">QH", millis, 0) + bytes([4, 3]) + struct.pack(">H", len(sig)) + sig
    sct_list = struct.pack(">H", len(sct) + 2) + struct.pack(">H", len(sct)) + sct
    return x509.UnrecognizedExtension(OID_SCT_LIST, der_octets(sct_list))


def leaf_cert(forge, label, *, identity, issuer, not_before, ct_key=None):
    """A Fulcio-style leaf: empty subject, critical SAN, code signing, OIDC claims, embedded SCT,
    10 minutes of validity."""
    key = forge.keys.ec("leaf/" + label)
    san = x509.RFC822Name(identity) if "@" in identity and "://" not in identity else x509.UniformResourceIdentifier(identity)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(forge.intermediate.subject)
        .public_key(key.public_key())
        .serial_number(forge.keys.serial("leaf/" + label))
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(minutes=10))
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(forge.intermediate_key.public_key()), False)
        .add_extension(x509.SubjectAlternativeName([san]), True)
    )
    for ext in oidc_extensions(identity, issuer):
        builder = builder.add_extension(ext, False)
    pre = builder.sign(forge.intermediate_key, hashes.SHA384())
    sct = sct_extension(pre.tbs_certificate_bytes, spki(forge.intermediate_key), ct_key or forge.ct_key, not_before)
    cert = builder.add_extension(sct, False).sign(forge.intermediate_key, hashes.SHA384())
    assert cert.tbs_precertificate_bytes == pre.tbs_certificate_bytes
    return cert, key


# --- transparency logs -------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def audit_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 PATH(m, D[n]), leaf-to-root order."""
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if index < k:
        return audit_path(index, leaves[:k]) + [mth(leaves[k:])]
    return audit_path(index - k, leaves[k:]) + [mth(leaves[:k])]


def checkpoint(origin: str, size: int, root: bytes, key, key_hint: bytes, extra: str = "") -> str:
    note = f"{origin}\n{size}\n{b64(root)}\n{extra}"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        sig = key.sign(note.encode())
    else:
        sig = key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
    return f"{note}\n\u2014 {origin.split(' ')[0]} {b64(key_hint[:4] + sig)}\n"


class Log:
    """A log: its key, its ID as the trusted root names it, and how its checkpoints are signed."""

    def __init__(self, key, log_id: bytes, origin: str, v2: bool):
        self.key, self.log_id, self.origin, self.v2 = key, log_id, origin, v2

    def entry(self, body: bytes, kind: str, version: str, integrated: dt.datetime | None, tamper: set[str], forge) -> dict:
        # The entry sits among other leaves of a small tree: index 5 of 11.
        index, size = 5, 11
        leaves = [leaf_hash(f"{self.origin}/other-{i}".encode()) for i in range(size)]
        leaves[index] = leaf_hash(body)
        root = mth(leaves)
        path = audit_path(index, leaves)
        if "inclusion-proof-hash" in tamper:
            path[1] = sha256(b"not the sibling")
        cp_key = forge.keys.ec("stranger/checkpoint") if "checkpoint-signature" in tamper else self.key
        extra = "" if self.v2 else f"Timestamp: {int(T0.timestamp()) * 10**9}\n"
        hint = self.log_id
        entry = {
            "logIndex": str(index),
            "logId": {"keyId": b64(self.log_id)},
            "kindVersion": {"kind": kind, "version": version},
        }
        if integrated is not None:
            when = int(integrated.timestamp())
            entry["integratedTime"] = str(when)
            set_payload = canonical(
                {"body": b64(body), "integratedTime": when, "logID": self.log_id.hex(), "logIndex": index}
            )
            set_key = forge.keys.ec("stranger/set") if "set-signature" in tamper else self.key
            entry["inclusionPromise"] = {"signedEntryTimestamp": b64(set_key.sign(set_payload, ec.ECDSA(hashes.SHA256())))}
        entry["inclusionProof"] = {
            "logIndex": str(index),
            "rootHash": b64(root),
            "treeSize": str(size),
            "hashes": [b64(h) for h in path],
            "checkpoint": {"envelope": checkpoint(self.origin, size, root, cp_key, hint, extra)},
        }
        entry["canonicalizedBody"] = b64(body)
        return entry


# --- RFC 3161 ----------------------------------------------------------------------------------


def timestamp_response(forge, message: bytes, when: dt.datetime) -> bytes:
    """A TimeStampResp (status granted) over sha256(message), signed by the forge's TSA leaf."""
    sha256_alg = seq(der_oid("2.16.840.1.101.3.4.2.1"))
    tst_info = seq(
        der_int(1),
        der_oid("1.3.6.1.4.1.57264.2"),
        seq(sha256_alg, der_octets(sha256(message))),
        der_int(forge.keys.serial("tst/" + b64(message))),
        der_gentime(when),
        seq(der_int(1)),  # accuracy: 1 second
        der_int(int.from_bytes(sha256(message)[:8], "big")),  # nonce
    )
    leaf = forge.tsa_leaf
    ess_cert_id = seq(seq(der_octets(sha256(cert_der(leaf)))))
    attrs = [
        seq(der_oid("1.2.840.113549.1.9.3"), set_of(der_oid("1.2.840.113549.1.9.16.1.4"))),
        seq(der_oid("1.2.840.113549.1.9.5"), set_of(der_utctime(when))),
        seq(der_oid("1.2.840.113549.1.9.4"), set_of(der_octets(sha256(tst_info)))),
        seq(der_oid("1.2.840.113549.1.9.16.2.47"), set_of(ess_cert_id)),
    ]
    signed_attrs = set_of(*attrs)
    signature = forge.tsa_leaf_key.sign(signed_attrs, ec.ECDSA(hashes.SHA256()))
    signer_info = seq(
        der_int(1),
        seq(leaf.issuer.public_bytes(), der_int(leaf.serial_number)),
        sha256_alg,
        b"\xa0" + signed_attrs[1:],
        seq(der_oid("1.2.840.10045.4.3.2")),
        der_octets(signature),
    )
    signed_data = seq(
        der_int(3),
        set_of(sha256_alg),
        seq(der_oid("1.2.840.113549.1.9.16.1.4"), der(0xA0, der_octets(tst_info))),
        der(0xA0, cert_der(leaf)),
        set_of(signer_info),
    )
    token = seq(der_oid("1.2.840.113549.1.7.2"), der(0xA0, signed_data))
    return seq(seq(der_int(0)), token)


# --- the forge ---------------------------------------------------------------------------------


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def intoto_envelope_hash(payload: bytes, sig: bytes, pem: bytes) -> str:
    """Rekor intoto 0.0.2's `hash`: of the canonical envelope with the signer's PEM beside the
    signature (an empty keyid is left out), as sigstore-js computes it."""
    envelope = {"payloadType": INTOTO, "payload": b64(payload), "signatures": [{"sig": b64(sig), "publicKey": pem.decode()}]}
    return sha256(canonical(envelope)).hex()


def statement(subjects: list[dict], predicate_type: str, predicate) -> bytes:
    return json.dumps(
        {"_type": "https://in-toto.io/Statement/v1", "subject": subjects, "predicateType": predicate_type, "predicate": predicate},
        separators=(",", ":"),
    ).encode()


def slsa_predicate(subject_hint: str) -> dict:
    return {
        "buildDefinition": {
            "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
            "externalParameters": {
                "workflow": {"ref": f"refs/tags/{TAG}", "repository": f"https://github.com/{OWNER_REPO}", "path": ".github/workflows/release.yml"}
            },
            "internalParameters": {"github": {"event_name": "push"}},
            "resolvedDependencies": [{"uri": f"git+https://github.com/{OWNER_REPO}@refs/tags/{TAG}", "digest": {"gitCommit": COMMIT}}],
        },
        "runDetails": {
            "builder": {"id": f"https://github.com/{OWNER_REPO}/.github/workflows/release.yml@refs/tags/{TAG}"},
            "metadata": {"invocationId": f"forge:{subject_hint}"},
        },
    }


class Forge:
    def __init__(self, seed: str):
        self.keys = k = Keys(seed)
        self.root_key = k.ec("fulcio/root", ec.SECP384R1())
        self.intermediate_key = k.ec("fulcio/intermediate", ec.SECP384R1())
        root_name = name("forge.test", "forge-fulcio-root")
        self.root = ca_cert(k, "fulcio/root", root_name, self.root_key, root_name, self.root_key, root=True)
        self.intermediate = ca_cert(
            k, "fulcio/intermediate", name("forge.test", "forge-fulcio-intermediate"), self.intermediate_key,
            root_name, self.root_key, root=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING],
        )
        self.ct_key = k.ec("ctlog")
        rekor1 = k.ec("rekor/v1")
        self.rekor_v1 = Log(rekor1, sha256(spki(rekor1)), REKOR_V1_ORIGIN, v2=False)
        rekor2 = k.ed25519("rekor/v2")
        raw = rekor2.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.rekor_v2 = Log(rekor2, sha256(REKOR_V2_ORIGIN.encode() + b"\n\x01" + raw), REKOR_V2_ORIGIN, v2=True)
        tsa_root_key = k.ec("tsa/root", ec.SECP384R1())
        tsa_root_name = name("forge.test", "forge-tsa-root")
        self.tsa_root = ca_cert(k, "tsa/root", tsa_root_name, tsa_root_key, tsa_root_name, tsa_root_key, root=True)
        self.tsa_leaf_key = k.ec("tsa/leaf")
        self.tsa_leaf = (
            x509.CertificateBuilder()
            .subject_name(name("forge.test", "forge-tsa"))
            .issuer_name(tsa_root_name)
            .public_key(self.tsa_leaf_key.public_key())
            .serial_number(k.serial("tsa/leaf"))
            .not_valid_before(CA_START)
            .not_valid_after(CA_END)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.tsa_leaf_key.public_key()), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(tsa_root_key.public_key()), False)
            .sign(tsa_root_key, hashes.SHA384())
        )

    # -- trusted root --

    def trusted_root(self) -> dict:
        def key(k, details, start, end=None):
            valid = {"start": iso(start)}
            if end:
                valid["end"] = iso(end)
            return {"rawBytes": b64(spki(k)), "keyDetails": details, "validFor": valid}

        v2_key = key(self.rekor_v2.key, "PKIX_ED25519", CA_START)
        return {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [
                {
                    "baseUrl": "https://rekor.forge.test",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": key(self.rekor_v1.key, "PKIX_ECDSA_P256_SHA_256", CA_START),
                    "logId": {"keyId": b64(self.rekor_v1.log_id)},
                },
                {
                    "baseUrl": f"https://{REKOR_V2_ORIGIN}",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": v2_key,
                    "logId": {"keyId": b64(self.rekor_v2.log_id)},
                },
            ],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "forge.test", "commonName": "forge-fulcio"},
                    "uri": "https://fulcio.forge.test",
                    "certChain": {"certificates": [{"rawBytes": b64(cert_der(c))} for c in (self.intermediate, self.root)]},
                    "validFor": {"start": iso(CA_START)},
                }
            ],
            "ctlogs": [
                {
                    "baseUrl": "https://ctfe.forge.test",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": key(self.ct_key, "PKIX_ECDSA_P256_SHA_256", CA_START),
                    "logId": {"keyId": b64(sha256(spki(self.ct_key)))},
                }
            ],
            "timestampAuthorities": [
                {
                    "subject": {"organization": "forge.test", "commonName": "forge-tsa"},
                    "uri": "https://tsa.forge.test/api/v1/timestamp",
                    "certChain": {"certificates": [{"rawBytes": b64(cert_der(c))} for c in (self.tsa_leaf, self.tsa_root)]},
                    "validFor": {"start": iso(TSA_VALID_FOR[0]), "end": iso(TSA_VALID_FOR[1])},
                }
            ],
        }

    # -- bundles --

    def bundle(self, *, version="0.3", rekor="v1", artifact=None, stmt=None, dsse_kind="dsse",
               identity=IDENTITY, issuer=GITHUB_ISSUER, tamper=frozenset(), when=T0, label="bundle") -> dict:
        """One bundle: a message signature over `artifact`, or a DSSE envelope of `stmt`."""
        tamper = set(tamper)
        not_before = when - dt.timedelta(minutes=1)
        if "certificate-expired" in tamper:
            not_before = when - dt.timedelta(minutes=30)
        if "identity" in tamper:
            identity = OTHER_IDENTITY
        if "issuer" in tamper:
            issuer = OTHER_ISSUER
        ct_key = self.keys.ec("stranger/ctlog") if "sct-unknown-log" in tamper else None
        cert, key = leaf_cert(self, f"{label}/{version}/{rekor}", identity=identity, issuer=issuer, not_before=not_before, ct_key=ct_key)
        pem = cert_pem(cert)
        integrated = when + dt.timedelta(seconds=30)
        content = {}
        if stmt is None:
            digest = sha256(artifact)
            signed = b"a different artifact" if "signature" in tamper else artifact
            sig = key.sign(signed, ec.ECDSA(hashes.SHA256()))
            content["messageSignature"] = {"messageDigest": {"algorithm": "SHA2_256", "digest": b64(digest)}, "signature": b64(sig)}
            if rekor == "v1":
                kind, kv = "hashedrekord", "0.0.1"
                body = {"apiVersion": kv, "kind": kind, "spec": {
                    "data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
                    "signature": {"content": b64(sig), "publicKey": {"content": b64(pem)}}}}
        else:
            signed = pae(INTOTO, stmt + b" " if "signature" in tamper else stmt)
            sig = key.sign(signed, ec.ECDSA(hashes.SHA256()))
            envelope = {"payload": b64(stmt), "payloadType": INTOTO, "signatures": [{"sig": b64(sig), "keyid": ""}]}
            content["dsseEnvelope"] = envelope
            digest = sha256(pae(INTOTO, stmt))
            if rekor == "v1" and dsse_kind == "dsse":
                kind, kv = "dsse", "0.0.1"
                body = {"apiVersion": kv, "kind": kind, "spec": {
                    "envelopeHash": {"algorithm": "sha256", "value": sha256(canonical(envelope)).hex()},
                    "payloadHash": {"algorithm": "sha256", "value": sha256(stmt).hex()},
                    "signatures": [{"signature": b64(sig), "verifier": b64(pem)}]}}
            elif rekor == "v1":
                kind, kv = "intoto", "0.0.2"
                body = {"apiVersion": kv, "kind": kind, "spec": {"content": {
                    "envelope": {"payloadType": INTOTO, "signatures": [{"sig": b64(b64(sig).encode()), "publicKey": b64(pem)}]},
                    "hash": {"algorithm": "sha256", "value": intoto_envelope_hash(stmt, sig, pem)},
                    "payloadHash": {"algorithm": "sha256", "value": sha256(stmt).hex()}}}}
        if rekor == "v2":
            # Rekor v2 logs a DSSE envelope as hashedrekord 0.0.2 over PAE (rekor-v2-spec 6.1.4).
            kind, kv = "hashedrekord", "0.0.2"
            body = {"apiVersion": kv, "kind": kind, "spec": {"hashedRekordV002": {
                "data": {"algorithm": "SHA2_256", "digest": b64(digest)},
                "signature": {"content": b64(sig), "verifier": {
                    "x509Certificate": {"rawBytes": b64(cert_der(cert))}, "keyDetails": "PKIX_ECDSA_P256_SHA_256"}}}}}
        log = self.rekor_v2 if rekor == "v2" else self.rekor_v1
        entry = log.entry(canonical(body), kind, kv, None if rekor == "v2" else integrated, tamper, self)
        material = {}
        if version == "0.3":
            material["certificate"] = {"rawBytes": b64(cert_der(cert))}
        else:
            chain = [cert, self.intermediate] + ([self.root] if "root-in-chain" in tamper else [])
            material["x509CertificateChain"] = {"certificates": [{"rawBytes": b64(cert_der(c))} for c in chain]}
        material["tlogEntries"] = [entry]
        if rekor == "v2":
            material["timestampVerificationData"] = {"rfc3161Timestamps": [{"signedTimestamp": b64(timestamp_response(self, sig, integrated))}]}
        media = {"0.1": BUNDLE_V01, "0.2": BUNDLE_V02, "0.3": BUNDLE_V03}[version]
        return {"mediaType": media, "verificationMaterial": material, **content}


def iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, (dict, list)):
        data = (json.dumps(data, indent=2) + "\n").encode()
    path.write_bytes(data)
    return path


# Each tampering: (case name, base, the tamper switch, the check it breaks).
TAMPERINGS = [
    ("tampered-artifact-digest", "message", "artifact-digest", "artifact digest"),
    ("tampered-dsse-subject-digest", "dsse", "artifact-digest", "statement subject digest"),
    ("tampered-identity", "message", "identity", "certificate identity"),
    ("tampered-issuer", "message", "issuer", "certificate OIDC issuer"),
    ("tampered-signature", "message", "signature", "signature"),
    ("tampered-dsse-signature", "dsse", "signature", "signature"),
    ("tampered-certificate-expired", "message", "certificate-expired", "certificate validity at signing time"),
    ("tampered-sct-unknown-log", "message", "sct-unknown-log", "SCT"),
    ("tampered-set-signature", "message", "set-signature", "signed entry timestamp"),
    ("tampered-inclusion-proof-hash", "message", "inclusion-proof-hash", "inclusion proof"),
    ("tampered-checkpoint-signature", "message", "checkpoint-signature", "checkpoint signature"),
    ("tampered-rekor2-inclusion-proof-hash", "rekor2", "inclusion-proof-hash", "inclusion proof"),
    ("tampered-rekor2-checkpoint-signature", "rekor2", "checkpoint-signature", "checkpoint signature"),
    ("tampered-timestamp-outside-tsa-validity", "rekor2", "timestamp-outside-tsa", "timestamp authority validity"),
    ("tampered-root-in-chain", "message-v0.2", "root-in-chain", "certificate chain (root CA in the bundle)"),
]


def forge_all(out: Path, args) -> dict:
    forge = Forge(args.seed)
    write(out / "trusted_root.json", forge.trusted_root())
    artifact = b"release-action forge artifact\n"
    other = b"release-action forge artifact, but not the one that was signed\n"
    write(out / "artifact.txt", artifact)
    write(out / "other-artifact.txt", other)
    art_stmt = statement([{"name": "artifact.txt", "digest": {"sha256": sha256(artifact).hex(), "sha512": hashlib.sha512(artifact).hexdigest()}}], SLSA_V1, slsa_predicate("artifact.txt"))
    other_stmt = statement([{"name": "artifact.txt", "digest": {"sha256": sha256(other).hex()}}], SLSA_V1, slsa_predicate("artifact.txt"))
    cases = []

    def case(name_, bundle, *, expect="verified", check=None, artifact_path="artifact.txt",
             identity=IDENTITY, issuer=GITHUB_ISSUER, peer=None):
        write(out / "cases" / name_ / "bundle.sigstore.json", bundle)
        cases.append({
            "name": name_, "bundle": f"cases/{name_}/bundle.sigstore.json", "artifact": artifact_path,
            "identity": identity, "issuer": issuer, "expect": expect, "check": check,
            "kind": "dsse" if "dsseEnvelope" in bundle else "message",
            "peer": peer or expect,
        })

    case("happy-v0.1-message", forge.bundle(version="0.1", artifact=artifact, label="v01"))
    case("happy-v0.2-message", forge.bundle(version="0.2", artifact=artifact, label="v02"))
    case("happy-v0.3-message", forge.bundle(artifact=artifact, label="v03"))
    case("happy-v0.3-email-identity", forge.bundle(artifact=artifact, identity=EMAIL_IDENTITY, issuer=EMAIL_ISSUER, label="email"),
         identity=EMAIL_IDENTITY, issuer=EMAIL_ISSUER)
    case("happy-v0.2-dsse", forge.bundle(version="0.2", stmt=art_stmt, label="dsse02"))
    case("happy-v0.3-dsse", forge.bundle(stmt=art_stmt, label="dsse03"))
    # sigstore-python 4.5.1 supports no intoto entries (only dsse 0.0.1 / hashedrekord 0.0.2).
    case("happy-v0.3-intoto", forge.bundle(stmt=art_stmt, dsse_kind="intoto", label="intoto"), peer="unsupported")
    case("happy-v0.3-rekor2-message", forge.bundle(artifact=artifact, rekor="v2", label="r2msg"))
    case("happy-v0.3-rekor2-dsse", forge.bundle(stmt=art_stmt, rekor="v2", label="r2dsse"))

    bases = {
        "message": dict(artifact=artifact),
        "message-v0.2": dict(version="0.2", artifact=artifact),
        "dsse": dict(stmt=art_stmt),
        "rekor2": dict(artifact=artifact, rekor="v2"),
    }
    for name_, base, switch, check in TAMPERINGS:
        kw = dict(bases[base], label=name_)
        artifact_path = "artifact.txt"
        if switch == "artifact-digest" and base == "message":
            artifact_path = "other-artifact.txt"  # the bundle is untouched: the artifact is another
        elif switch == "artifact-digest":
            kw["stmt"] = other_stmt  # a well-signed statement about another digest
        elif switch == "timestamp-outside-tsa":
            kw["when"] = T_LATE
        else:
            kw["tamper"] = {switch}
        peer = "lenient" if switch == "root-in-chain" else None
        case(name_, forge.bundle(**kw), expect="rejected", check=check, artifact_path=artifact_path, peer=peer)

    registry = forge_registry_forms(forge, out, args)
    manifest = {
        "trusted_root": "trusted_root.json",
        "identity": IDENTITY,
        "issuer": GITHUB_ISSUER,
        "signing_time": iso(T0),
        "cases": cases,
        "registry": registry,
    }
    write(out / "manifest.json", manifest)
    return manifest


def forge_registry_forms(forge: Forge, out: Path, args) -> dict:
    reg = out / "registry"
    forms = {}
    # npm: GET /-/npm/v1/attestations/<name>@<version>
    tarball = Path(args.npm_tarball).read_bytes() if args.npm_tarball else b"forge npm tarball bytes\n"
    npm_name, npm_version = args.npm_name, args.npm_version
    npm_subject = [{"name": f"pkg:npm/{npm_name}@{npm_version}", "digest": {"sha512": hashlib.sha512(tarball).hexdigest()}}]
    npm_bundle = forge.bundle(stmt=statement(npm_subject, SLSA_V1, slsa_predicate(npm_name)), label="npm",
                              identity=args.npm_identity or IDENTITY)
    npm_doc = {"attestations": [{"predicateType": SLSA_V1, "bundle": npm_bundle}]}
    write(reg / "npm" / "attestations.json", npm_doc)
    if not args.npm_tarball:
        write(reg / "npm" / "package.tgz", tarball)
    forms["npm"] = {"name": npm_name, "version": npm_version, "document": "registry/npm/attestations.json",
                    "tarball": args.npm_tarball or "registry/npm/package.tgz",
                    "path": f"/-/npm/v1/attestations/{npm_name}@{npm_version}"}
    # PyPI: GET /integrity/<project>/<version>/<filename>/provenance (PEP 740)
    if args.wheel:
        wheel_path = Path(args.wheel)
        wheel, wheel_name = wheel_path.read_bytes(), wheel_path.name
    else:
        wheel, wheel_name = b"forge wheel bytes\n", f"forge_pkg-{args.pypi_version}-py3-none-any.whl"
        write(reg / "pypi" / wheel_name, wheel)
    project = wheel_name.split("-")[0]
    pypi_stmt = statement([{"name": wheel_name, "digest": {"sha256": sha256(wheel).hex()}}], PYPI_PUBLISH_V1, None)
    pypi_bundle = forge.bundle(stmt=pypi_stmt, label="pypi")
    attestation = {
        "version": 1,
        "verification_material": {
            "certificate": pypi_bundle["verificationMaterial"]["certificate"]["rawBytes"],
            "transparency_entries": pypi_bundle["verificationMaterial"]["tlogEntries"],
        },
        "envelope": {"statement": pypi_bundle["dsseEnvelope"]["payload"], "signature": pypi_bundle["dsseEnvelope"]["signatures"][0]["sig"]},
    }
    owner, repo = OWNER_REPO.split("/")
    provenance = {"version": 1, "attestation_bundles": [{
        "publisher": {"kind": "GitHub", "repository": OWNER_REPO, "workflow": "release.yml", "environment": None,
                      "claims": None},
        "attestations": [attestation]}]}
    write(reg / "pypi" / "provenance.json", provenance)
    write(reg / "pypi" / "bundle.sigstore.json", pypi_bundle)
    forms["pypi"] = {"project": project, "version": args.pypi_version, "filename": wheel_name,
                     "wheel": args.wheel or f"registry/pypi/{wheel_name}", "document": "registry/pypi/provenance.json",
                     "bundle": "registry/pypi/bundle.sigstore.json",
                     "path": f"/integrity/{project}/{args.pypi_version}/{wheel_name}/provenance"}
    forms["oci"] = forge_oci(forge, reg / "oci", args)
    return forms


def blob(dir_: Path, data: bytes, media_type: str) -> dict:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    write(dir_ / "blobs" / digest.replace(":", "-"), data)
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def forge_oci(forge: Forge, dir_: Path, args) -> dict:
    """Cosign's forms for an image digest: OCI 1.1 referrers carrying a Sigstore bundle (a
    signature and an SPDX attestation), and the legacy `sha256-<hex>.sig` simple-signing tag."""
    image_digest, repo = args.image_digest, args.image_repo
    subject = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": image_digest, "size": args.image_size}
    hex_ = image_digest.split(":", 1)[1]
    empty = blob(dir_, b"{}", "application/vnd.oci.empty.v1+json")
    manifests = {}
    for label, ptype, predicate in (
        ("signature", COSIGN_SIGN_V1, {}),
        ("sbom", SPDX, {"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": repo, "dataLicense": "CC0-1.0", "packages": []}),
    ):
        stmt = statement([{"name": repo, "digest": {"sha256": hex_}}], ptype, predicate)
        bundle = forge.bundle(stmt=stmt, label="oci-" + label)
        write(dir_ / f"{label}.bundle.sigstore.json", bundle)
        layer = blob(dir_, json.dumps(bundle).encode(), BUNDLE_V03)
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": BUNDLE_V03,
            "config": empty,
            "layers": [layer],
            "subject": subject,
            "annotations": {"dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": ptype,
                            "org.opencontainers.image.created": iso(T0)},
        }
        manifests[label] = blob(dir_, json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json") | {
            "artifactType": BUNDLE_V03}
    # Legacy: the simple-signing payload, its signature and certificate in layer annotations,
    # under the tag sha256-<hex>.sig. The same signature as a v0.3 bundle (hashedrekord) lets a
    # verifier check it with the bundle code path.
    payload = json.dumps({"critical": {"identity": {"docker-reference": repo}, "image": {"docker-manifest-digest": image_digest},
                                       "type": "cosign container image signature"}, "optional": None}).encode()
    legacy_bundle = forge.bundle(artifact=payload, label="oci-legacy")
    write(dir_ / "legacy.bundle.sigstore.json", legacy_bundle)
    entry = legacy_bundle["verificationMaterial"]["tlogEntries"][0]
    cert = base64.b64decode(legacy_bundle["verificationMaterial"]["certificate"]["rawBytes"])
    rekor_bundle = {"SignedEntryTimestamp": entry["inclusionPromise"]["signedEntryTimestamp"], "Payload": {
        "body": entry["canonicalizedBody"], "integratedTime": int(entry["integratedTime"]),
        "logIndex": int(entry["logIndex"]), "logID": base64.b64decode(entry["logId"]["keyId"]).hex()}}
    layer = blob(dir_, payload, "application/vnd.dev.cosign.simplesigning.v1+json")
    layer["annotations"] = {
        "dev.cosignproject.cosign/signature": legacy_bundle["messageSignature"]["signature"],
        "dev.sigstore.cosign/certificate": cert_pem(x509.load_der_x509_certificate(cert)).decode(),
        "dev.sigstore.cosign/chain": (cert_pem(forge.intermediate) + cert_pem(forge.root)).decode(),
        "dev.sigstore.cosign/bundle": json.dumps(rekor_bundle, separators=(",", ":")),
    }
    config = blob(dir_, json.dumps({"architecture": "", "config": {}, "created": "0001-01-01T00:00:00Z", "history": [{"created": "0001-01-01T00:00:00Z"}], "os": "", "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}).encode(),
                  "application/vnd.oci.image.config.v1+json")
    legacy_manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config, "layers": [layer]}
    manifests["legacy-sig"] = blob(dir_, json.dumps(legacy_manifest).encode(), "application/vnd.oci.image.manifest.v1+json") | {
        "tag": f"sha256-{hex_}.sig"}
    return {"repository": repo, "image_digest": image_digest, "blobs": "registry/oci/blobs", "manifests": manifests,
            "payload": f"registry/oci/blobs/{layer['digest'].replace(':', '-')}"}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="directory to write into (created; existing files are overwritten)")
    parser.add_argument("--seed", default="release-action-forge")
    parser.add_argument("--npm-tarball")
    parser.add_argument("--npm-name", default="forge-pkg")
    parser.add_argument("--npm-version", default="1.2.3")
    parser.add_argument("--npm-identity", help="the npm bundle's signer identity (default: the forge's workflow)")
    parser.add_argument("--wheel")
    parser.add_argument("--pypi-version", default="1.2.3")
    parser.add_argument("--image-digest", default="sha256:" + hashlib.sha256(b"forge image manifest").hexdigest())
    parser.add_argument("--image-size", type=int, default=527)
    parser.add_argument("--image-repo", default="127.0.0.1/forge/image")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = forge_all(out, args)
    print(f"forged {len(manifest['cases'])} bundles and the npm, PyPI and OCI forms into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
