"""C2PA Content Credentials: a signed, standard statement in each output that it is synthetic.

The private JSON record (:mod:`twoface.media.provenance`) says what twoface did; this module adds
the same facts as a C2PA manifest that any Content Credentials reader can check (c2pa-python,
the library of the C2PA reference implementation):

- an action assertion (``c2pa.actions.v2``): ``c2pa.created`` (``trainedAlgorithmicMedia``) when
  there is no source, else ``c2pa.opened`` on the source and ``c2pa.edited``
  (``compositeWithTrainedAlgorithmicMedia``: faces swapped into real frames). The library
  requires the first action to be created or opened, so an edit is always two actions;
- the whole twoface record as a custom assertion (:data:`ASSERTION`);
- the source file as the parent ingredient, with its SHA-256 in the ingredient's metadata.

Signing keys come from :func:`resolve_signer`. Without any configured, twoface makes a local
signer on first use: a P-256 end-entity certificate issued by a local CA (the C2PA certificate
profile refuses self-signed or CA end-entity certificates). Readers report it as untrusted
(``signingCredential.untrusted``), which is true: it proves only that the file has not changed
since this twoface install signed it. Signing never touches the network (no timestamp
authority, no OCSP, no remote manifests).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import mimetypes
import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from twoface import __version__
from twoface.errors import TwofaceError

# Output suffix -> MIME type: the formats whose files get a manifest. c2pa-rs can also carry one
# in GIF, TIFF and AVI; twoface leaves those (and MKV, WebM, frame images' other formats) to the
# private record alone.
C2PA_SUFFIXES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".m4v": "video/x-m4v",
    ".mov": "video/quicktime",
}
ASSERTION = "org.twoface.provenance"
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
CREATED, COMPOSITE = IPTC + "trainedAlgorithmicMedia", IPTC + "compositeWithTrainedAlgorithmicMedia"
LOCAL_NAME = "twoface local signer (untrusted)"
LOCAL_CA_NAME = f"{LOCAL_NAME} CA"
LOCAL_YEARS = 10
PROFILE = (
    "C2PA wants an end-entity certificate (first in the file) that is not a CA or self-signed, with "
    "digitalSignature key usage, an emailProtection or documentSigning extended key usage and an "
    "authority key identifier, then the CA certificates that issued it"
)
UNTRUSTED = frozenset({"signingCredential.untrusted", "timeStamp.untrusted"})  # not a fault here
# Settings for c2pa-rs: nothing over the network; no thumbnail (on a 640x480 JPEG it cost 45 ms and
# 450 kB, more than the image).
SETTINGS = {
    "verify": {"ocsp_fetch": False, "remote_manifest_fetch": False},
    "builder": {"thumbnail": {"enabled": False}},
}


@dataclass(frozen=True)
class SignerFiles:
    """A PEM certificate chain (end-entity first, then its issuers) and its PEM private key."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class Credentials:
    """What a file's active C2PA manifest says, as the c2pa library validated it.

    ``signer`` and ``issuer`` are the common names of the signing certificate and its issuer;
    ``actions`` pairs each action with its IPTC digital source type (None when it has none);
    ``valid`` means no validation failure other than an untrusted signer; ``tampered`` that a
    hash no longer matches (the file, or the manifest, changed after signing); ``problems`` lists
    the library's failure codes as ``"code: explanation"``.
    """

    signer: str
    issuer: str
    serial: str
    local_signer: bool
    actions: tuple[tuple[str, str | None], ...]
    generator: str
    source: str | None
    record: dict | None
    valid: bool
    tampered: bool
    problems: tuple[str, ...]


# --- signing -----------------------------------------------------------------------------------


def sign(
    path: str | Path,
    record: dict,
    source: Path | None = None,
    signer: SignerFiles | None = None,
    title: str | None = None,
) -> bool:
    """Add a signed C2PA manifest for ``record`` to the written file ``path``, in place.

    ``source`` (the input the output was made from) becomes the parent ingredient. ``title`` is
    the file's name in the manifest and in errors (default ``path``'s: pass the final name when
    signing a partial file). Returns False, changing nothing, when ``path``'s suffix is not in
    :data:`C2PA_SUFFIXES`. The signed copy is written next to ``path`` and renamed over it, so on
    any failure (TwofaceError naming the file) or Ctrl-C the original stays as it was.
    """
    path = Path(path)
    mime = C2PA_SUFFIXES.get(path.suffix.lower())
    if mime is None:
        return False
    files = signer or resolve_signer()
    key, context = _signing(files, _stamp(files))
    manifest = _manifest(title or path.name, mime, record, source)
    tmp = path.with_name(f".{path.stem}.signing{path.suffix}")
    try:
        builder = _builder(manifest, source, context)
        with path.open("rb") as src, tmp.open("w+b") as dst:
            builder.sign(key, mime, src, dst)
        os.replace(tmp, path)
    except _c2pa().C2paError.Signature as exc:  # the certificate is outside the C2PA profile
        tmp.unlink(missing_ok=True)
        raise TwofaceError(files.cert, f"refused for C2PA signing ({exc}); {PROFILE}") from None
    except (OSError, _c2pa().C2paError) as exc:
        tmp.unlink(missing_ok=True)
        shown = path.with_name(title) if title else path
        raise TwofaceError(shown, f"could not add Content Credentials ({exc})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True


def _manifest(title: str, mime: str, record: dict, source: Path | None) -> dict:
    """The manifest definition c2pa's Builder takes."""
    agent = {"name": "twoface", "version": __version__}
    params = {k: record[k] for k in ("method", "model") if k in record}
    action = {
        "action": "c2pa.edited" if source else "c2pa.created",
        "digitalSourceType": COMPOSITE if source else CREATED,
        "softwareAgent": agent,
        "parameters": params,
    }
    if "created" in record:
        action["when"] = record["created"]
    return {
        "claim_generator_info": [agent],
        "title": title,
        "format": mime,
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": [action]}},
            {"label": ASSERTION, "data": record},
        ],
    }


def _builder(manifest: dict, source: Path | None, context):
    """A Builder for ``manifest``; with a source, an edit whose parent ingredient is that file
    (read by the library when it knows the format, so a manifest the source carries is kept;
    else described by name, format and hash)."""
    c2pa = _c2pa()
    if source is None:
        return c2pa.Builder(manifest, context=context)
    source = Path(source)
    ingredient = _ingredient(source)
    ext = source.suffix.lower().lstrip(".")
    if ext and ext in c2pa.Builder.get_supported_mime_types():
        builder = c2pa.Builder(manifest, context=context)
        builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
        try:
            with source.open("rb") as stream:
                builder.add_ingredient(ingredient, ext, stream)
            return builder
        except c2pa.C2paError:  # not readable as that format: describe it instead
            builder.close()
    builder = c2pa.Builder({**manifest, "ingredients": [ingredient]}, context=context)
    builder.set_intent(c2pa.C2paBuilderIntent.EDIT)  # adds c2pa.opened on the parent
    return builder


def _ingredient(source: Path) -> dict:
    try:
        digest = _sha256(source)
    except OSError as exc:
        raise TwofaceError(source, f"cannot read the source to record it ({exc.strerror})") from None
    return {
        "title": source.name,
        "format": mimetypes.guess_type(source.name)[0] or "application/octet-stream",
        "relationship": "parentOf",
        "metadata": {"org.twoface.sha256": digest},
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _c2pa():
    """The c2pa module, imported on first use (it takes ~80 ms; ``import twoface`` stays cheap)."""
    import c2pa

    return c2pa


# --- keys --------------------------------------------------------------------------------------


def config_dir() -> Path:
    """twoface's settings folder: ``$TWOFACE_CONFIG_DIR``, else ``%APPDATA%\\twoface`` on
    Windows or ``$XDG_CONFIG_HOME/twoface`` (default ``~/.config/twoface``) elsewhere."""
    if os.environ.get("TWOFACE_CONFIG_DIR"):
        return Path(os.environ["TWOFACE_CONFIG_DIR"]).expanduser()
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "twoface"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "twoface"


def resolve_signer(cert: str | None = None, key: str | None = None) -> SignerFiles:
    """The certificate chain and key to sign with, from the first place that names them: the
    arguments; ``$TWOFACE_C2PA_CERT`` and ``$TWOFACE_C2PA_KEY``; the ``[c2pa]`` table (``cert``,
    ``key``; relative paths are relative to the folder) of ``config.toml`` in :func:`config_dir`;
    else the local signer in ``<config dir>/c2pa/``, made on first use."""
    if cert or key:
        return _pair(cert, key, "cert and key arguments")
    env = os.environ.get("TWOFACE_C2PA_CERT"), os.environ.get("TWOFACE_C2PA_KEY")
    if any(env):
        return _pair(*env, "TWOFACE_C2PA_CERT and TWOFACE_C2PA_KEY")
    folder = config_dir()
    table = _config_table(folder / "config.toml")
    if table:
        return _pair(table.get("cert"), table.get("key"), "[c2pa] cert and key", folder)
    return _local_signer(folder / "c2pa")


def _pair(cert: str | None, key: str | None, what: str, base: Path | None = None) -> SignerFiles:
    if not (cert and key):
        raise TwofaceError(cert or key, f"{what}: give both or neither")
    paths = [Path(p).expanduser() for p in (cert, key)]
    if base is not None:
        paths = [base / p for p in paths]  # an absolute p stays as it is
    return SignerFiles(*paths)


def _config_table(path: Path) -> dict | None:
    if sys.version_info >= (3, 11):
        import tomllib as toml  # novermin
    else:  # c2pa-python depends on toml; the same loads()
        import toml
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise TwofaceError(path, f"cannot read ({exc.strerror})") from None
    try:
        table = toml.loads(text).get("c2pa")
    except ValueError as exc:  # both libraries' decode errors are ValueErrors
        raise TwofaceError(path, f"not valid TOML ({exc})") from None
    if table is not None and not isinstance(table, dict):
        raise TwofaceError(path, "c2pa must be a table ([c2pa] with cert and key)")
    return table


def _local_signer(folder: Path) -> SignerFiles:
    """The local signer's files, made when the folder does not exist yet. Two processes making it
    at once each write a folder of their own; one rename wins and the other uses its files."""
    files = SignerFiles(folder / "cert.pem", folder / "key.pem")
    if not folder.exists():
        tmp = folder.with_name(f".{folder.name}.{os.getpid()}.{secrets.token_hex(4)}")
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            tmp.mkdir(mode=0o700)
            chain, key = _make_local_chain()
            (tmp / files.cert.name).write_bytes(chain)
            fd = os.open(tmp / files.key.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(key)
            os.chmod(tmp / files.key.name, 0o600)
            os.rename(tmp, folder)
        except OSError as exc:
            if not folder.exists():
                raise TwofaceError(folder, f"cannot make the local signer ({exc})") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    for path in (files.cert, files.key):
        if not path.is_file():
            raise TwofaceError(path, "missing from the local signer; delete its folder to make a new one")
    return files


def _make_local_chain() -> tuple[bytes, bytes]:
    """A new local CA and an end-entity ES256 certificate it issued: (chain PEM, key PEM).

    The end entity follows the C2PA certificate profile: not a CA, digitalSignature key usage,
    emailProtection and documentSigning extended key usages."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common: str) -> x509.Name:
        attrs = [(NameOID.COMMON_NAME, common), (NameOID.ORGANIZATION_NAME, "twoface")]
        return x509.Name([x509.NameAttribute(oid, value) for oid, value in attrs])

    def usage(**on: bool) -> x509.KeyUsage:
        names = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment"]
        names += ["key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"]
        return x509.KeyUsage(**{n: on.get(n, False) for n in names})

    def cert(subject, issuer, public, signing_key, ca: bool, extensions):
        now = dt.datetime.now(dt.timezone.utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * LOCAL_YEARS))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, ee_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = cert(
        name(LOCAL_CA_NAME),
        name(LOCAL_CA_NAME),
        ca_key.public_key(),
        ca_key,
        True,
        [(usage(key_cert_sign=True, crl_sign=True), True)],
    )
    ekus = [ExtendedKeyUsageOID.EMAIL_PROTECTION, x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")]
    ee = cert(
        name(LOCAL_NAME),
        ca.subject,
        ee_key.public_key(),
        ca_key,
        False,
        [
            (usage(digital_signature=True), True),
            (x509.ExtendedKeyUsage(ekus), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
        ],
    )
    pem = serialization.Encoding.PEM
    key = ee_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ee.public_bytes(pem) + ca.public_bytes(pem), key


def _stamp(files: SignerFiles) -> tuple[int, int]:
    """The files' modification times: a changed key or certificate is loaded again."""
    try:
        return files.cert.stat().st_mtime_ns, files.key.stat().st_mtime_ns
    except OSError as exc:
        raise TwofaceError(exc.filename, f"cannot read the signing files ({exc.strerror})") from None


@lru_cache(maxsize=4)
def _signing(files: SignerFiles, stamp: tuple[int, int]):
    """(c2pa Signer, c2pa Context) for ``files``, checked and loaded once per change of the files
    (``stamp``); a Signer signs any number of files."""
    del stamp  # part of the cache key only
    chain, key, alg = _load(files)
    c2pa = _c2pa()
    info = c2pa.C2paSignerInfo(getattr(c2pa.C2paSigningAlg, alg), chain, key, None)  # None: no TSA
    try:
        signer = c2pa.Signer.from_info(info)
    except c2pa.C2paError as exc:
        raise TwofaceError(files.key, f"not usable for C2PA signing ({exc})") from None
    return signer, c2pa.Context.from_dict(SETTINGS)


def _load(files: SignerFiles) -> tuple[bytes, bytes, str]:
    """The chain and the key as PEM c2pa takes (PKCS#8), and the signing algorithm the key's type
    calls for. Raises TwofaceError naming the file at fault."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        certs = x509.load_pem_x509_certificates(files.cert.read_bytes())
    except (OSError, ValueError) as exc:
        raise TwofaceError(files.cert, f"not a PEM certificate chain ({exc})") from None
    try:
        key = serialization.load_pem_private_key(files.key.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:  # TypeError: an encrypted key
        raise TwofaceError(files.key, f"not an unencrypted PEM private key ({exc})") from None
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    form = raw if isinstance(key, ed25519.Ed25519PrivateKey) else spki
    if key.public_key().public_bytes(*form) != certs[0].public_key().public_bytes(*form):
        raise TwofaceError(files.key, f"does not belong to the first certificate in {files.cert}")
    if certs[0].not_valid_after_utc < dt.datetime.now(dt.timezone.utc):
        raise TwofaceError(files.cert, f"expired on {certs[0].not_valid_after_utc:%Y-%m-%d}")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        alg = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}.get(key.curve.name)
    else:
        alg = "PS256" if isinstance(key, rsa.RSAPrivateKey) else None
        alg = "ED25519" if isinstance(key, ed25519.Ed25519PrivateKey) else alg
    if alg is None:
        raise TwofaceError(files.key, "C2PA signs with P-256/384/521, RSA or Ed25519 keys only")
    pem = serialization.Encoding.PEM
    chain = b"".join(c.public_bytes(pem) for c in certs)
    pkcs8 = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return chain, pkcs8, alg


# --- reading -----------------------------------------------------------------------------------


def read_credentials(path: str | Path) -> Credentials | None:
    """The validated active manifest of ``path``, or None when it has none (or its format cannot
    carry one). Raises TwofaceError when a manifest is there but cannot be read."""
    c2pa = _c2pa()
    path = Path(path)
    try:
        with c2pa.Reader(str(path), context=_read_context()) as reader:
            store, cr = json.loads(reader.json()), json.loads(reader.crjson())
    except (c2pa.C2paError.ManifestNotFound, c2pa.C2paError.NotSupported):
        return None
    except (OSError, c2pa.C2paError) as exc:
        raise TwofaceError(path, f"cannot read its Content Credentials ({exc})") from None
    label = store.get("active_manifest")
    manifest = store.get("manifests", {}).get(label)
    if manifest is None:
        return None
    cr_manifest = next((m for m in cr.get("manifests", []) if m.get("label") == label), {})
    return _credentials(store, manifest, cr_manifest)


def _credentials(store: dict, manifest: dict, cr_manifest: dict) -> Credentials:
    assertions = {a.get("label"): a.get("data") for a in manifest.get("assertions", [])}
    actions = (assertions.get("c2pa.actions.v2") or assertions.get("c2pa.actions") or {}).get("actions", [])
    generator = next(iter(manifest.get("claim_generator_info") or []), {})
    active = store.get("validation_results", {}).get("activeManifest", {})
    failures = active.get("failure", store.get("validation_status", []))
    codes = [f.get("code", "") for f in failures]
    cert = cr_manifest.get("signature", {}).get("certificateInfo", {})
    signature = manifest.get("signature_info", {})
    parents = [i for i in manifest.get("ingredients", []) if i.get("relationship") == "parentOf"]
    issuer = cert.get("issuer", {}).get("CN") or signature.get("issuer", "")
    return Credentials(
        signer=signature.get("common_name") or cert.get("subject", {}).get("CN", ""),
        issuer=issuer,
        serial=cert.get("serialNumber", ""),
        local_signer=issuer == LOCAL_CA_NAME,
        actions=tuple((a.get("action", ""), a.get("digitalSourceType")) for a in actions),
        generator=" ".join(str(generator.get(k)) for k in ("name", "version") if generator.get(k)),
        source=parents[0].get("title") if parents else None,
        record=assertions.get(ASSERTION),
        valid=all(code in UNTRUSTED for code in codes),
        tampered=any(code.endswith(".mismatch") for code in codes),
        problems=tuple(
            f"{f.get('code')}: {f.get('explanation', '')}" for f in store.get("validation_status", [])
        ),
    )


@lru_cache(maxsize=1)
def _read_context():
    return _c2pa().Context.from_dict(SETTINGS)


def describe(path: str | Path) -> list[str]:
    """Short lines on ``path``'s Content Credentials for ``twoface inspect``."""
    try:
        found = read_credentials(path)
    except TwofaceError as exc:
        return [f"C2PA: unreadable manifest ({exc.problem})"]
    return describe_found(found)


def describe_found(found: Credentials | None) -> list[str]:
    """:func:`describe`'s lines for credentials already read (None: no manifest)."""
    if found is None:
        return ["C2PA: no manifest"]
    if found.local_signer:
        where = "made on this machine" if _is_ours(found.serial) else "made by another twoface install"
        lines = [f"C2PA: signed by {found.signer} (local twoface signer: untrusted, {where})"]
    else:
        trust = "untrusted" if any(p.split(":")[0] in UNTRUSTED for p in found.problems) else "trusted"
        lines = [f"C2PA: signed by {found.signer}, issued by {found.issuer} ({trust})"]
    for action, kind in found.actions:
        if kind is None:  # c2pa.opened: the parent ingredient
            continue
        made = [action, kind.rsplit("/", 1)[-1], f"by {found.generator}"]
        model = (found.record or {}).get("model")
        made += [f"model {model}"] if model else []
        made += [f"from {found.source}"] if found.source else []
        lines.append("C2PA: " + ", ".join(made))
    codes = ", ".join(p.split(":")[0] for p in found.problems if p.split(":")[0] not in UNTRUSTED)
    if found.tampered:
        lines.append(f"C2PA: the file was CHANGED after signing ({codes})")
    elif not found.valid:
        lines.append(f"C2PA: manifest not valid ({codes})")
    return lines


def _is_ours(serial: str) -> bool:
    """Whether ``serial`` (hex) is the local signer's certificate in this user's config folder."""
    from cryptography import x509

    try:
        first = x509.load_pem_x509_certificates((config_dir() / "c2pa" / "cert.pem").read_bytes())[0]
    except (OSError, ValueError):
        return False
    return bool(serial) and int(serial, 16) == first.serial_number
