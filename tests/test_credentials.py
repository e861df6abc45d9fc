"""C2PA Content Credentials: real outputs signed by the writers, read back by c2pa's own Reader."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from pathlib import Path

import av
import c2pa
import pytest

from twoface.errors import TwofaceError
from twoface.media.credentials import (
    ASSERTION,
    COMPOSITE,
    CREATED,
    SignerFiles,
    describe,
    read_credentials,
    resolve_signer,
    sign,
)
from twoface.media.provenance import provenance, read_provenance
from twoface.media.read import read_image
from twoface.media.write import VideoWriter, write_image

UNTRUSTED = "signingCredential.untrusted: signing certificate untrusted"


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch) -> Path:
    """A config folder of the test's own: the user's real one is never read or written."""
    folder = tmp_path / "config"
    monkeypatch.setenv("TWOFACE_CONFIG_DIR", str(folder))
    for name in ("TWOFACE_C2PA_CERT", "TWOFACE_C2PA_KEY"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.fixture(scope="module")
def photo(samples):
    return read_image(samples / "identity/obama_1.jpg")


def active(path: Path) -> dict:
    """The active manifest as c2pa's Reader reports it, with the store's validation status."""
    with c2pa.Reader(str(path)) as reader:
        store = json.loads(reader.json())
    return {**store["manifests"][store["active_manifest"]], "status": store.get("validation_status", [])}


def actions(manifest: dict) -> list[tuple[str, str | None]]:
    found = next(a["data"] for a in manifest["assertions"] if a["label"] == "c2pa.actions.v2")
    return [(a["action"], a.get("digitalSourceType")) for a in found["actions"]]


def custom(manifest: dict) -> dict:
    return next(a["data"] for a in manifest["assertions"] if a["label"] == ASSERTION)


def assert_parent(manifest: dict, source: Path) -> None:
    (parent,) = manifest["ingredients"]
    assert parent["relationship"] == "parentOf" and parent["title"] == source.name
    assert parent["metadata"]["org.twoface.sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()


@pytest.mark.parametrize("suffix, with_source", [(".jpg", True), (".png", False), (".webp", True)])
def test_image_outputs_carry_credentials(tmp_path, samples, photo, suffix, with_source):
    source = samples / "identity/obama_1.jpg" if with_source else None
    record = provenance("autoencoder a2b", "grid (step 30)", source and source.name)
    out = tmp_path / f"out{suffix}"
    write_image(out, photo, record, source=source)

    manifest = active(out)
    assert manifest["claim_generator_info"][0]["name"] == "twoface"
    assert custom(manifest) == record and manifest["title"] == out.name
    if with_source:
        assert actions(manifest) == [("c2pa.opened", None), ("c2pa.edited", COMPOSITE)]
        assert_parent(manifest, source)
    else:
        assert actions(manifest) == [("c2pa.created", CREATED)] and "ingredients" not in manifest
    assert [s["code"] for s in manifest["status"]] == ["signingCredential.untrusted"]
    assert read_provenance(out) == record  # the private record survives the embedding
    found = read_credentials(out)
    assert found.valid and not found.tampered and found.local_signer and found.problems == (UNTRUSTED,)
    assert found.generator == "twoface 0.1.0" and found.record == record
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config", out.name]  # no partial files


def test_video_output_carries_credentials(tmp_path, s1_clip):
    record = provenance("autoencoder a2b", "grid (step 30)", s1_clip.name)
    out = tmp_path / "out.mp4"
    writer = VideoWriter(out, s1_clip, record, preset="ultrafast", report=lambda _m: None)
    with av.open(str(s1_clip)) as clip:
        for frame in clip.decode(video=0):
            writer.write(frame.to_ndarray(format="rgb24"), frame.time)
    writer.close()

    manifest = active(out)
    assert actions(manifest) == [("c2pa.opened", None), ("c2pa.edited", COMPOSITE)]
    assert custom(manifest) == record and manifest["claim_generator_info"][0]["version"] == "0.1.0"
    assert_parent(manifest, s1_clip)
    assert read_provenance(out) == record
    found = read_credentials(out)
    assert found.valid and not found.tampered and found.source == s1_clip.name
    assert describe(out)[1].startswith("C2PA: c2pa.edited, compositeWithTrainedAlgorithmicMedia, by twoface")
    with av.open(str(out)) as video:  # still a whole video, with its audio
        assert video.streams.video[0].frames == 50 and len(video.streams.audio) == 1


def test_a_changed_pixel_byte_is_reported_as_tampering(tmp_path, photo):
    out = tmp_path / "out.jpg"
    write_image(out, photo, provenance("autoencoder a2b"))
    data = bytearray(out.read_bytes())
    at = (data.rfind(b"\xff\xda") + len(data)) // 2  # inside the entropy-coded scan, after the manifest
    while data[at] in (0x00, 0xFE, 0xFF) or data[at - 1] == 0xFF:  # keep the JPEG markers as they are
        at += 1
    data[at] ^= 0x01
    out.write_bytes(bytes(data))

    found = read_credentials(out)
    assert found.tampered and not found.valid
    assert any(p.startswith("assertion.dataHash.mismatch") for p in found.problems)
    assert describe(out)[-1].startswith("C2PA: the file was CHANGED after signing (assertion.dataHash")


def test_the_local_signer_is_made_once(tmp_path, config, photo):
    first = resolve_signer()
    assert first == SignerFiles(config / "c2pa/cert.pem", config / "c2pa/key.pem")
    if sys.platform != "win32":
        assert first.key.stat().st_mode & 0o777 == 0o600
    made = first.cert.read_bytes(), first.key.read_bytes()
    assert resolve_signer() == first and (first.cert.read_bytes(), first.key.read_bytes()) == made

    from cryptography import x509

    ee, ca = x509.load_pem_x509_certificates(made[0])  # the C2PA certificate profile
    assert ee.issuer == ca.subject != ee.subject
    assert not ee.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ee.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    write_image(tmp_path / "a.png", photo[:64, :64], provenance("test"))
    found = read_credentials(tmp_path / "a.png")
    assert found.local_signer and int(found.serial, 16) == ee.serial_number
    assert describe(tmp_path / "a.png")[0] == (
        "C2PA: signed by twoface local signer (untrusted) (local twoface signer: untrusted, "
        "made on this machine)"
    )


def test_a_user_signer_is_used_instead(tmp_path, config, monkeypatch, photo):
    cert, key = make_user_signer(tmp_path / "mine")
    config.mkdir()
    (config / "config.toml").write_text('[c2pa]\ncert = "../mine/cert.pem"\nkey = "../mine/key.pem"\n')
    assert resolve_signer() == SignerFiles(config / "../mine/cert.pem", config / "../mine/key.pem")
    monkeypatch.setenv("TWOFACE_C2PA_CERT", str(cert))
    monkeypatch.setenv("TWOFACE_C2PA_KEY", str(key))
    assert resolve_signer() == SignerFiles(cert, key)  # the environment before the config file
    assert resolve_signer("a.pem", "b.pem") == SignerFiles(Path("a.pem"), Path("b.pem"))

    write_image(tmp_path / "out.jpg", photo, provenance("test"))
    found = read_credentials(tmp_path / "out.jpg")
    assert (found.signer, found.issuer, found.local_signer) == ("Test Studio signer", "Test Studio CA", False)
    assert found.valid and found.problems == (UNTRUSTED,)
    assert not (config / "c2pa").exists()  # no local signer was made
    assert describe(tmp_path / "out.jpg")[0] == (
        "C2PA: signed by Test Studio signer, issued by Test Studio CA (untrusted)"
    )


def test_a_gif_is_left_as_it_is(tmp_path, config, photo):
    from PIL import Image

    gif = tmp_path / "a.gif"
    Image.fromarray(photo).save(gif)
    before = gif.read_bytes()
    assert sign(gif, provenance("test")) is False
    assert gif.read_bytes() == before and not config.exists()
    assert read_credentials(gif) is None
    write_image(tmp_path / "plain.png", photo[:32, :32], provenance("test"), sign=False)
    assert describe(tmp_path / "plain.png") == ["C2PA: no manifest"]


def test_a_corrupt_key_is_one_error_naming_it(tmp_path, monkeypatch, photo):
    good = resolve_signer()
    bad = tmp_path / "bad.key"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    monkeypatch.setenv("TWOFACE_C2PA_CERT", str(good.cert))
    monkeypatch.setenv("TWOFACE_C2PA_KEY", str(bad))
    out = tmp_path / "out.jpg"
    with pytest.raises(TwofaceError) as caught:
        write_image(out, photo, provenance("test"))
    assert caught.value.path == str(bad) and "\n" not in str(caught.value)
    assert not out.exists() and not list(tmp_path.glob(".*partial*"))


def test_a_lone_or_missing_signer_flag_stops_before_any_work(tmp_path, samples, capsys):
    """``--c2pa-cert`` without ``--c2pa-key`` (or a file that is not there) is one line and a
    non-zero exit before the command starts, not a failure at the first file it writes."""
    from twoface.cli import main

    out = tmp_path / "out.jpg"
    args = ["swap", "--face", str(samples / "identity/obama_1.jpg"), str(samples / "identity/biden_1.jpg")]
    cert = resolve_signer().cert
    assert main(["--c2pa-cert", str(cert), *args, "-o", str(out)]) == 2
    assert capsys.readouterr().err.strip() == "twoface: --c2pa-cert and --c2pa-key: give both or neither"
    missing = tmp_path / "nope.key"
    assert main(["--c2pa-cert", str(cert), "--c2pa-key", str(missing), *args, "-o", str(out)]) == 1
    assert capsys.readouterr().err.strip() == f"twoface: {missing}: no such certificate or key file"
    assert not out.exists()


def test_a_certificate_outside_the_c2pa_profile_is_named(tmp_path, photo):
    cert, key = make_user_signer(tmp_path / "mine", key_ids=False)
    out = tmp_path / "out.png"
    write_image(out, photo[:32, :32], provenance("test"), sign=False)
    before = out.read_bytes()
    with pytest.raises(TwofaceError) as caught:
        sign(out, provenance("test"), signer=SignerFiles(cert, key))
    assert caught.value.path == str(cert) and "authority key identifier" in caught.value.problem
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["mine", out.name]


def make_user_signer(folder: Path, key_ids: bool = True) -> tuple[Path, Path]:
    """A CA and a P-384 end-entity certificate of a made-up studio (ES384), as PEM files; with
    ``key_ids`` False the end entity lacks the authority key identifier C2PA requires."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)

    def issue(common, public, issuer, signing_key, ca):
        usage = dict.fromkeys(["content_commitment", "key_encipherment", "data_encipherment"], False)
        usage |= dict.fromkeys(["key_agreement", "encipher_only", "decipher_only"], False)
        usage |= {"digital_signature": not ca, "key_cert_sign": ca, "crl_sign": ca}
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)]))
            .issuer_name(issuer or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)]))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(**usage), critical=True)
        )
        if not ca:
            eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION])
            aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key())
            builder = builder.add_extension(eku, critical=False)
            builder = builder.add_extension(aki, critical=False) if key_ids else builder
        return builder.sign(signing_key, hashes.SHA384())

    ca_key, key = ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(ec.SECP384R1())
    ca = issue("Test Studio CA", ca_key.public_key(), None, ca_key, True)
    ee = issue("Test Studio signer", key.public_key(), ca.subject, ca_key, False)
    folder.mkdir()
    pem = serialization.Encoding.PEM
    (folder / "cert.pem").write_bytes(ee.public_bytes(pem) + ca.public_bytes(pem))
    sec1 = serialization.PrivateFormat.TraditionalOpenSSL  # "EC PRIVATE KEY": twoface converts it
    (folder / "key.pem").write_bytes(key.private_bytes(pem, sec1, serialization.NoEncryption()))
    os.chmod(folder / "key.pem", 0o600)
    return folder / "cert.pem", folder / "key.pem"


def test_converted_outputs_carry_an_edited_composite_manifest(tiny_model, s1_clip, samples, tmp_path, capsys):
    """What `twoface convert` writes (JPEG, PNG, MP4), read back by c2pa's reader: an edit of the
    source with trained-algorithmic composite as its source type; inspect says it is untrusted."""
    from PIL import Image

    from twoface.cli import main

    frame = tmp_path / "frame.png"
    with av.open(str(samples / "grid/s1.mp4")) as c:
        Image.fromarray(next(c.decode(video=0)).to_ndarray(format="rgb24")).save(frame)
    for src, name in ((frame, "out.jpg"), (frame, "out.png"), (s1_clip, "out.mp4")):
        out = tmp_path / name
        assert main(["convert", str(src), "-m", str(tiny_model), "-o", str(out), "--quiet"]) == 0
        found = read_credentials(out)
        assert found is not None and found.valid and not found.tampered and found.local_signer
        assert ("c2pa.edited", COMPOSITE) in found.actions and found.source == src.name
        assert found.record["synthetic"] is True and found.generator.startswith("twoface")
    capsys.readouterr()
    assert main(["inspect", str(tmp_path / "out.mp4")]) == 0
    said = capsys.readouterr().out
    assert "local twoface signer: untrusted" in said and "compositeWithTrainedAlgorithmicMedia" in said
