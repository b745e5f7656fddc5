#!/usr/bin/env python3
"""Proves the forge (tests/tools/sigstore_forge.py) right with peers, not with our verifier.

Forges into a temporary directory (or reads OUT_DIR with --dir) and checks every case with
sigstore-python (pinned by scripts/install-tools.sh), in-process, against the forged trusted
root: every untampered bundle must verify, every tampered one must be rejected, and for the
reason its tampering was meant to break (the peer's error must name that check). Then the
registry forms: npm's attestations document and the OCI forms with sigstore-python plus the
subject check a gate does; PyPI's PEP 740 provenance object with pypi-attestations (which has no
trust-root parameter: its Verifier is given the forged root by replacing Verifier.production).
With --cli, each bundle case also goes through the `python -m sigstore verify identity` CLI with
a trust config, as the conformance suite's sigstore-python wrapper builds it.

Exit 0 when every check holds; 1 with one line per failing check otherwise. No pytest.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path

from sigstore import dsse
from sigstore.errors import Error as SigstoreError
from sigstore.hashes import Hashed
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier, policy
from sigstore_models.common.v1 import HashAlgorithm

HERE = Path(__file__).resolve().parent
WARNINGS: list[str] = []


class _Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        WARNINGS.append(record.getMessage())


logging.getLogger("sigstore").addHandler(_Collect(logging.WARNING))
logging.getLogger("sigstore").propagate = False

# What sigstore-python's error says when the check a tampering breaks fails.
PEER_REASON = {
    "artifact digest": "message digest mismatch",
    "statement subject digest": "no subject for digest",
    "certificate identity": "SANs do not match",
    "certificate OIDC issuer": "OIDCIssuer does not match",
    "signature": "signature",
    "certificate validity at signing time": "failed to build timestamp certificate chain",
    "SCT": "SCT",
    "signed entry timestamp": "SET",
    "inclusion proof": "inclusion proof",
    "checkpoint signature": "checkpoint: invalid signature",
    "timestamp authority validity": "not enough sources of verified time",
}


def verify_case(verifier: Verifier, out: Path, case: dict) -> None:
    """Raises on rejection, as sigstore-python's CLI would answer (a DSSE bundle must also carry
    a statement subject with the artifact's sha256)."""
    bundle = Bundle.from_json((out / case["bundle"]).read_bytes())
    pol = policy.Identity(identity=case["identity"], issuer=case["issuer"])
    artifact = (out / case["artifact"]).read_bytes()
    if case["kind"] == "message":
        verifier.verify_artifact(artifact, bundle, pol)
        return
    _, payload = verifier.verify_dsse(bundle, pol)
    digest = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=hashlib.sha256(artifact).digest())
    if not dsse.Statement(payload)._matches_digest(digest):
        raise SigstoreError(f"in-toto statement has no subject for digest {digest.digest.hex()}")


def cli_verdict(out: Path, case: dict) -> tuple[bool, str]:
    trust_config = {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": json.loads((out / "trusted_root.json").read_text()),
        "signingConfig": {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [{"url": "https://fulcio.forge.test", "majorApiVersion": 1, "operator": "", "validFor": {"start": "1970-01-01T01:01:01Z"}}],
            "oidcUrls": [],
            "rekorTlogUrls": [{"url": "https://rekor.forge.test", "majorApiVersion": 1, "operator": "", "validFor": {"start": "1970-01-01T01:01:01Z"}}],
            "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        },
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(trust_config, f)
        f.flush()
        cmd = [sys.executable, "-m", "sigstore", "--trust-config", f.name, "verify", "identity",
               "--bundle", str(out / case["bundle"]), "--cert-identity", case["identity"],
               "--cert-oidc-issuer", case["issuer"], str(out / case["artifact"])]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return run.returncode == 0, (run.stdout + run.stderr).strip().splitlines()[-1:] and (run.stdout + run.stderr).strip().splitlines()[-1]


def check_cases(out: Path, manifest: dict, verifier: Verifier, use_cli: bool, report: list[str]) -> int:
    checked = 0
    for case in manifest["cases"]:
        before = len(WARNINGS)
        try:
            verify_case(verifier, out, case)
            verdict, reason = "verified", ""
        except (SigstoreError, ValueError) as exc:
            verdict, reason = "rejected", f"{type(exc).__name__}: {exc}"
        want = case["peer"]
        line = f"{case['name']:45} sigstore-python {verdict:8} (expected {case['expect']}"
        line += f", peer {want})" if want != case["expect"] else ")"
        ok = True
        if want == "unsupported":
            # sigstore-python 4.5.1 knows no intoto entries: it must refuse the kind, nothing else.
            ok = verdict == "rejected" and ("only supported for dsse/hashedrekord" in reason or "Unsupported" in reason)
        elif want == "lenient":
            # sigstore-python only warns about a root CA in the chain (protobuf-specs' client
            # policy forbids it); the verdict must be "verified" with that warning.
            ok = verdict == "verified" and any("root CA" in w for w in WARNINGS[before:])
        else:
            ok = verdict == want
            if ok and want == "rejected":
                needle = PEER_REASON[case["check"]]
                ok = needle.lower() in reason.lower()
                if not ok:
                    reason += f" [expected the reason to name {needle!r}]"
        if use_cli and want in ("verified", "rejected"):
            cli_ok, last = cli_verdict(out, case)
            if cli_ok != (want == "verified"):
                ok = False
                reason += f" [CLI disagrees: {last}]"
            line += " cli " + ("verified" if cli_ok else "rejected")
        if len(reason) > 200:
            reason = reason[:200] + "..."
        print(("ok   " if ok else "FAIL ") + line + (f" -- {reason}" if reason else ""))
        if not ok:
            report.append(case["name"])
        checked += 1
    return checked


def check_npm(out: Path, forms: dict, verifier: Verifier, ident: policy.Identity) -> None:
    npm = forms["npm"]
    doc = json.loads((out / npm["document"]).read_text())
    tarball = (out / npm["tarball"]).read_bytes() if not Path(npm["tarball"]).is_absolute() else Path(npm["tarball"]).read_bytes()
    assert list(doc) == ["attestations"] and len(doc["attestations"]) == 1, "npm document shape"
    att = doc["attestations"][0]
    assert att["predicateType"] == "https://slsa.dev/provenance/v1"
    _, payload = verifier.verify_dsse(Bundle.from_json(json.dumps(att["bundle"])), ident)
    stmt = json.loads(payload)
    assert stmt["predicateType"] == att["predicateType"], "statement predicateType"
    (subject,) = stmt["subject"]
    assert subject["name"] == f"pkg:npm/{npm['name']}@{npm['version']}", subject["name"]
    assert subject["digest"]["sha512"] == hashlib.sha512(tarball).hexdigest(), "npm subject sha512"


def check_pypi(out: Path, forms: dict, verifier: Verifier) -> None:
    import pypi_attestations
    from pypi_attestations import _impl

    pypi = forms["pypi"]
    doc = (out / pypi["document"]).read_text()
    provenance = pypi_attestations.Provenance.model_validate_json(doc)
    wheel_path = Path(pypi["wheel"]) if Path(pypi["wheel"]).is_absolute() else out / pypi["wheel"]
    dist = pypi_attestations.Distribution(name=pypi["filename"], digest=hashlib.sha256(wheel_path.read_bytes()).hexdigest())
    (bundle,) = provenance.attestation_bundles
    assert isinstance(bundle.publisher, pypi_attestations.GitHubPublisher), bundle.publisher
    (attestation,) = bundle.attestations
    # The PEP 740 object is exactly what pypi-attestations makes of the forged bundle.
    sig_bundle = Bundle.from_json((out / pypi["bundle"]).read_bytes())
    assert pypi_attestations.Attestation.from_bundle(sig_bundle) == attestation, "PEP 740 form differs from from_bundle()"

    class ForgedVerifier(Verifier):
        @classmethod
        def production(cls, *, offline: bool = False) -> Verifier:
            return verifier

    original = _impl.Verifier
    _impl.Verifier = ForgedVerifier
    try:
        ptype, _ = attestation.verify(bundle.publisher, dist)
        assert ptype == "https://docs.pypi.org/attestations/publish/v1", ptype
        other = pypi_attestations.Distribution(name=pypi["filename"], digest="00" * 32)
        try:
            attestation.verify(bundle.publisher, other)
            raise AssertionError("pypi-attestations accepted another digest")
        except pypi_attestations.VerificationError:
            pass
        stranger = pypi_attestations.GitHubPublisher(repository="evil-owner/forge-repo", workflow="release.yml")
        try:
            attestation.verify(stranger, dist)
            raise AssertionError("pypi-attestations accepted another publisher")
        except pypi_attestations.VerificationError:
            pass
    finally:
        _impl.Verifier = original


def check_oci(out: Path, forms: dict, verifier: Verifier, ident: policy.Identity) -> None:
    oci = forms["oci"]
    blobs = out / oci["blobs"]
    hex_ = oci["image_digest"].split(":", 1)[1]

    def read(desc):
        data = (blobs / desc["digest"].replace(":", "-")).read_bytes()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == desc["digest"] and len(data) == desc["size"]
        return data

    for label in ("signature", "sbom"):
        manifest = json.loads(read(oci["manifests"][label]))
        assert manifest["artifactType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
        assert manifest["subject"]["digest"] == oci["image_digest"]
        (layer,) = manifest["layers"]
        assert layer["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
        _, payload = verifier.verify_dsse(Bundle.from_json(read(layer)), ident)
        (subject,) = json.loads(payload)["subject"]
        assert subject["digest"]["sha256"] == hex_, f"{label} subject digest"
    legacy = json.loads(read(oci["manifests"]["legacy-sig"]))
    (layer,) = legacy["layers"]
    payload = read(layer)
    assert json.loads(payload)["critical"]["image"]["docker-manifest-digest"] == oci["image_digest"]
    verifier.verify_artifact(payload, Bundle.from_json((out / "registry/oci/legacy.bundle.sigstore.json").read_bytes()), ident)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    cert = x509.load_pem_x509_certificate(layer["annotations"]["dev.sigstore.cosign/certificate"].encode())
    sig = base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"])
    cert.public_key().verify(sig, payload, ec.ECDSA(hashes.SHA256()))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", help="check an existing forge output instead of forging anew")
    parser.add_argument("--cli", action="store_true", help="also run each case through sigstore-python's CLI")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.dir) if args.dir else Path(tmp)
        if not args.dir:
            subprocess.run([sys.executable, str(HERE / "sigstore_forge.py"), str(out)], check=True)
        manifest = json.loads((out / "manifest.json").read_text())
        verifier = Verifier(trusted_root=TrustedRoot.from_file(str(out / "trusted_root.json")))
        ident = policy.Identity(identity=manifest["identity"], issuer=manifest["issuer"])
        failed: list[str] = []
        checked = check_cases(out, manifest, verifier, args.cli, failed)
        for label, fn in (("npm attestations document", lambda: check_npm(out, manifest["registry"], verifier, ident)),
                          ("PyPI PEP 740 provenance (pypi-attestations)", lambda: check_pypi(out, manifest["registry"], verifier)),
                          ("OCI referrers and legacy .sig", lambda: check_oci(out, manifest["registry"], verifier, ident))):
            try:
                fn()
                print(f"ok   {label}")
            except Exception as exc:  # noqa: BLE001 - every failure is reported, none hidden
                print(f"FAIL {label} -- {type(exc).__name__}: {exc}")
                failed.append(label)
            checked += 1
    print(f"{checked - len(failed)} of {checked} checks hold" + (f"; failing: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
