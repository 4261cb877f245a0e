"""Archives written by `hz-archive create` (tar.zst, tar.gz, zip or tar), read with the standard library.

An archive holds manifest.json first (schemas/manifest.schema.json: every other entry with its
size and SHA-256, and for a population one safetensors file per model), then the files in path
order. `load_archive` streams it once: every entry must be listed, a regular file, of the listed
size (checked before reading) and SHA-256; nothing listed may be missing. zstd is decoded by the
`zstandard` module when installed, else by the `zstd` command.
"""
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import tarfile
import zipfile

from ._frameworks import convert_state_dict
from .errors import FormatError
from .safetensors import load_bytes

MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 << 20
#: Default ceiling for the model files held in memory at once.
DEFAULT_MAX_BYTES = 4 << 30
#: Tar headers (pax records included) allowed per entry beyond the listed sizes.
HEADER_ALLOWANCE = 64 << 10
CHUNK = 1 << 20
_TOP_KEYS = {"format", "format_version", "created_by", "name", "files", "models", "pipeline", "evaluation"}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ArchiveModel:
    """One model of an archive: its manifest entry and its weights.

    Attributes:
        id: the model id; file: its entry (``models/<id>.safetensors``); epoch, source: from the
        manifest (None when absent); metadata: the safetensors ``__metadata__``;
        state_dict: {name: tensor} in the file's order (numpy arrays or torch tensors).
    """

    __slots__ = ("id", "file", "epoch", "source", "metadata", "state_dict")

    def __init__(self, id, file, epoch, source, metadata, state_dict):
        self.id, self.file, self.epoch, self.source, self.metadata, self.state_dict = id, file, epoch, source, metadata, state_dict

    def __repr__(self):
        return f"ArchiveModel({self.id!r}, {len(self.state_dict)} tensors)"


class Archive:
    """A verified archive: `manifest` (dict), `models` (list of `ArchiveModel`, manifest order),
    `format` (tar.zst, tar.gz, zip or tar) and, with ``extract_to``, the folder holding its files."""

    def __init__(self, path, format, manifest, models, folder):
        self.path, self.format, self.manifest, self.models, self.folder = path, format, manifest, models, folder

    @property
    def state_dicts(self):
        """The models' state_dicts, in manifest order."""
        return [m.state_dict for m in self.models]

    def state_dict(self, model_id):
        """The state_dict of the model called `model_id`."""
        for m in self.models:
            if m.id == model_id:
                return m.state_dict
        raise KeyError(model_id)

    @property
    def files(self):
        """Every entry listed in the manifest (dicts with path, size, sha256)."""
        return list(self.manifest["files"])

    def __len__(self):
        return len(self.models)

    def __repr__(self):
        return f"<Archive {os.path.basename(self.path)!r} ({self.format}): {len(self.manifest['files'])} files, {len(self.models)} models>"


def load_archive(path, framework="numpy", extract_to=None, max_bytes=DEFAULT_MAX_BYTES):
    """Reads and verifies an hz-archive archive; returns an `Archive`.

    Args:
        framework: ``numpy`` or ``torch`` for the models' tensors.
        extract_to: a folder that must not exist yet: every file is written there too (through
            ``<folder>.partial``, renamed only when every check passed), e.g. to open the
            population's HDF5 file with `open_population`.
        max_bytes: ceiling on the models' safetensors bytes held in memory.
    Raises:
        FormatError: not an archive, no manifest first, a manifest breaking its schema, an entry
            unlisted, missing, of another size or SHA-256, or a safetensors file breaking its rules.
    """
    path = os.fspath(path)
    try:
        info = os.stat(path)
    except OSError as error:
        raise FormatError(path, "", "no such file" if isinstance(error, FileNotFoundError) else f"cannot read ({error.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise FormatError(path, "", "not a regular file")
    kind = _sniff(path)
    staging = None
    if extract_to is not None:
        extract_to = os.fspath(extract_to)
        if os.path.lexists(extract_to):
            raise FormatError(extract_to, "", "already exists; extract into a new folder")
        staging = extract_to.rstrip("/") + ".partial"
        if os.path.lexists(staging):
            raise FormatError(staging, "", "already exists (a previous extraction was interrupted?); remove it first")
        os.makedirs(staging)
    try:
        reader = _ArchiveVerifier(path, kind, staging, max_bytes)
        if kind == "zip":
            reader.read_zip()
        else:
            reader.read_tar()
        models = reader.models(framework)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    if staging is not None:
        os.rename(staging, extract_to)
    return Archive(path, kind, reader.manifest, models, extract_to)


def _sniff(path):
    with open(path, "rb") as f:
        head = f.read(512)
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "tar.zst"
    if head.startswith(b"\x1f\x8b"):
        return "tar.gz"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    raise FormatError(path, "", "not a tar.zst, tar.gz, zip or tar archive (hz-archive create writes those)")


class _Budget(io.RawIOBase):
    """A read-only stream that refuses to deliver more than `limit` bytes (raised once the
    manifest says how much the archive holds): a hostile tar cannot make us read without end."""

    def __init__(self, raw, path, limit):
        self.raw, self.path, self.limit, self.consumed = raw, path, limit, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        want = min(len(buffer), self.limit - self.consumed + 1)
        data = self.raw.read(want)
        if self.consumed + len(data) > self.limit:
            raise FormatError(self.path, "", f"holds more data than its manifest lists ({self.limit} bytes with headers); not a hyperzoo archive or altered")
        buffer[:len(data)] = data
        self.consumed += len(data)
        return len(data)


class _ArchiveVerifier:
    def __init__(self, path, kind, staging, max_bytes):
        self.path, self.kind, self.staging, self.max_bytes = path, kind, staging, max_bytes
        self.manifest = None
        self.records = {}
        self.pending = {}
        self.kept = {}
        self.wanted = set()
        self.budget = None

    # -- the two containers ------------------------------------------------------------------
    def read_tar(self):
        process, raw = None, None
        try:
            raw, process = self._decompressed_stream()
            budget = _Budget(raw, self.path, MAX_MANIFEST_BYTES + HEADER_ALLOWANCE)
            self.budget = budget
            try:
                archive = tarfile.open(fileobj=io.BufferedReader(budget, CHUNK), mode="r|")
                first = True
                for member in archive:
                    where = member.name
                    if not (member.isreg()):
                        raise FormatError(self.path, where, "not a regular file (hyperzoo archives hold only files)")
                    self._entry(where, member.size, lambda: archive.extractfile(member), first)
                    first = False
                if first:
                    raise FormatError(self.path, "", "an empty archive; expected manifest.json first")
            except tarfile.TarError as error:
                raise FormatError(self.path, "", f"corrupt or truncated tar ({error})") from None
            except (EOFError, OSError, ValueError) as error:
                if isinstance(error, FormatError):
                    raise
                raise FormatError(self.path, "", f"corrupt or truncated {self.kind} ({error})") from None
            # Drain the end-of-archive padding (bounded by the budget) so that gzip's CRC and
            # zstd's exit status cover the whole stream.
            try:
                while budget.read(CHUNK):
                    pass
            except (EOFError, OSError) as error:
                raise FormatError(self.path, "", f"corrupt or truncated {self.kind} after the last entry ({error})") from None
            if process is not None:
                if process.wait() != 0:
                    message = process.stderr.read().decode("utf-8", "replace").strip().splitlines()
                    raise FormatError(self.path, "", f"zstd could not decode it ({message[-1] if message else 'exit status ' + str(process.returncode)})")
        finally:
            if process is not None:
                if process.poll() is None:
                    process.kill()  # only the zstd we started
                    process.wait()
                process.stderr.close()
            if raw is not None:
                raw.close()
        self._finish()

    def read_zip(self):
        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as error:
            raise FormatError(self.path, "", f"corrupt or truncated zip ({error})") from None
        with archive:
            infos = archive.infolist()
            if not infos:
                raise FormatError(self.path, "", "an empty archive; expected manifest.json first")
            for k, info in enumerate(infos):
                mode = (info.external_attr >> 16) & 0o170000
                if info.is_dir() or mode not in (0, stat.S_IFREG):
                    raise FormatError(self.path, info.filename, "not a regular file (hyperzoo archives hold only files)")
                try:
                    self._entry(info.filename, info.file_size, lambda: archive.open(info), k == 0)
                except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
                    if isinstance(error, FormatError):
                        raise
                    raise FormatError(self.path, info.filename, f"corrupt zip entry ({error})") from None
        self._finish()

    def _decompressed_stream(self):
        """(readable stream of tar bytes, zstd process or None)."""
        if self.kind == "tar":
            return open(self.path, "rb"), None
        if self.kind == "tar.gz":
            import gzip
            return gzip.open(self.path, "rb"), None
        try:
            import zstandard
        except ImportError:
            zstandard = None
        if zstandard is not None:
            source = open(self.path, "rb")
            return zstandard.ZstdDecompressor(max_window_size=1 << 27).stream_reader(source, read_across_frames=True, closefd=True), None
        zstd = shutil.which("zstd")
        if zstd is None:
            raise FormatError(self.path, "", "a tar.zst archive, but neither the Python module 'zstandard' (pip install zstandard) "
                                             "nor the 'zstd' command is installed to decode it")
        process = subprocess.Popen([zstd, "-d", "-c", "-q", "--", self.path], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return process.stdout, process

    # -- one entry ---------------------------------------------------------------------------
    def _entry(self, name, size, open_entry, first):
        if first:
            if name != MANIFEST:
                raise FormatError(self.path, name, "the first entry is not manifest.json; not a hyperzoo archive (hz-archive create makes one)")
            if size > MAX_MANIFEST_BYTES:
                raise FormatError(self.path, MANIFEST, f"{size} bytes, more than the {MAX_MANIFEST_BYTES} a manifest may have")
            data = self._read(open_entry(), MANIFEST, size, None)
            self._set_manifest(data)
            return
        record = self.pending.pop(name, None)
        if record is None:
            seen = name in self.records or name == MANIFEST
            raise FormatError(self.path, name, "appears twice in the archive" if seen else "in the archive but not listed in the manifest")
        if size != record["size"]:
            raise FormatError(self.path, name, f"size {size}, the manifest says {record['size']}")
        data = self._read(open_entry(), name, size, record["sha256"])
        if name in self.wanted:
            self.kept[name] = data

    def _read(self, stream, name, size, sha256):
        """Reads exactly `size` bytes of an entry, hashing them (and copying them when extracting)."""
        digest = hashlib.sha256()
        keep = name == MANIFEST or (self.manifest is not None and name in self.wanted)
        parts = [] if keep else None
        out = None
        if self.staging is not None and name != MANIFEST:
            target = os.path.join(self.staging, *name.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            out = open(target, "xb")
        total = 0
        try:
            while True:
                chunk = stream.read(min(CHUNK, size - total + 1))
                if not chunk:
                    break
                total += len(chunk)
                if total > size:
                    raise FormatError(self.path, name, f"holds more than the {size} bytes declared")
                digest.update(chunk)
                if parts is not None:
                    parts.append(chunk)
                if out is not None:
                    out.write(chunk)
        finally:
            if out is not None:
                out.close()
        if total != size:
            raise FormatError(self.path, name, f"truncated: {total} of {size} bytes")
        if sha256 is not None and digest.hexdigest() != sha256:
            raise FormatError(self.path, name, "SHA-256 differs from the manifest (corrupted or altered)")
        return b"".join(parts) if parts is not None else None

    def _set_manifest(self, data):
        where = MANIFEST
        try:
            manifest = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError) as error:
            raise FormatError(self.path, where, f"not valid JSON ({str(error)[:120]})") from None
        self.manifest = validate_manifest(manifest, self.path)
        self.records = {f["path"]: f for f in manifest["files"]}
        self.pending = dict(self.records)
        self.wanted = {m["file"] for m in manifest.get("models", [])}
        held = sum(self.records[f]["size"] for f in self.wanted)
        if held > self.max_bytes:
            raise FormatError(self.path, where, f"the models' files hold {held} bytes, more than max_bytes={self.max_bytes}; raise max_bytes")
        if self.budget is not None:
            total = sum(f["size"] for f in manifest["files"])
            self.budget.limit = self.budget.consumed + total + HEADER_ALLOWANCE * (len(manifest["files"]) + 2) + (1 << 20)

    def _finish(self):
        if self.manifest is None:
            raise FormatError(self.path, "", "no manifest.json")
        if self.pending:
            raise FormatError(self.path, sorted(self.pending)[0], "listed in the manifest but missing from the archive")

    def models(self, framework):
        result = []
        for model in self.manifest.get("models", []):
            source = f"{self.path}:{model['file']}"
            tensors, metadata = load_bytes(self.kept.pop(model["file"]), source)
            if "model" in metadata and metadata["model"] != model["id"]:
                raise FormatError(self.path, model["file"], f"metadata names model '{metadata['model']}', the manifest '{model['id']}'")
            result.append(ArchiveModel(model["id"], model["file"], model.get("epoch"), model.get("source"), metadata,
                                       convert_state_dict(tensors, framework)))
        return result


def validate_manifest(manifest, path):
    """Checks a decoded manifest against schemas/manifest.schema.json; returns it."""
    where = MANIFEST

    def bad(message):
        return FormatError(path, where, message)

    if not isinstance(manifest, dict):
        raise bad("expected a JSON object")
    for key in ("format", "format_version", "created_by", "files"):
        if key not in manifest:
            raise bad(f"missing '{key}'")
    unknown = set(manifest) - _TOP_KEYS
    if unknown:
        raise bad(f"unknown member(s) {sorted(unknown)} (schema allows {', '.join(sorted(_TOP_KEYS))})")
    if manifest["format"] != "hyperzoo.archive":
        raise bad(f"format is {manifest['format']!r}, expected 'hyperzoo.archive'")
    version = manifest["format_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise bad("format_version must be an integer")
    if version != 1:
        raise bad(f"format_version {version} {'is newer than this package reads (1); upgrade it' if version > 1 else 'is invalid'}")
    if not isinstance(manifest["created_by"], str) or not manifest["created_by"]:
        raise bad("created_by must be a non-empty string")
    if "name" in manifest and not isinstance(manifest["name"], str):
        raise bad("name must be a string")
    files = manifest["files"]
    if not isinstance(files, list):
        raise bad("files must be an array")
    seen = set()
    for k, f in enumerate(files):
        if not isinstance(f, dict) or set(f) != {"path", "size", "sha256"}:
            raise bad(f"files[{k}] must have exactly path, size and sha256")
        p, size, digest = f["path"], f["size"], f["sha256"]
        if not isinstance(p, str) or not _safe_entry(p):
            raise bad(f"files[{k}]: path {p!r} must be relative, without '..', empty parts or backslashes")
        if p == MANIFEST or p in seen:
            raise bad(f"files[{k}]: path '{p}' listed twice (or names the manifest)")
        seen.add(p)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise bad(f"files[{k}] ('{p}'): size must be a non-negative integer")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise bad(f"files[{k}] ('{p}'): sha256 must be 64 lowercase hex digits")
    models = manifest.get("models", [])
    if not isinstance(models, list):
        raise bad("models must be an array")
    ids = set()
    for k, m in enumerate(models):
        if not isinstance(m, dict) or not {"id", "file"} <= set(m) or not set(m) <= {"id", "file", "source", "epoch"}:
            raise bad(f"models[{k}] must have id and file (and optionally source, epoch) only")
        if not isinstance(m["id"], str) or not m["id"] or m["id"] in ids:
            raise bad(f"models[{k}]: id must be a non-empty string, unique")
        ids.add(m["id"])
        if m["file"] not in seen:
            raise bad(f"models[{k}] ('{m['id']}'): file '{m['file']}' is not listed in files")
        if "epoch" in m and (not isinstance(m["epoch"], int) or isinstance(m["epoch"], bool)):
            raise bad(f"models[{k}] ('{m['id']}'): epoch must be an integer")
        if "source" in m and not isinstance(m["source"], str):
            raise bad(f"models[{k}] ('{m['id']}'): source must be a string")
    for key in ("pipeline", "evaluation"):
        if key in manifest and not isinstance(manifest[key], dict):
            raise bad(f"{key} must be an object")
    return manifest


def _safe_entry(name):
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and "\\" not in name and all(p not in ("", ".", "..") for p in parts)
