"""A small Hugging Face Hub-compatible HTTP server for tests (stdlib only, in memory).

It answers what ``hf_hub_download``, ``snapshot_download``, ``HfApi.model_info``, ``create_repo`` and
``upload_folder`` of huggingface_hub call (see shared/notes/hub-protocol.md): resolve (HEAD/GET, Range),
revision info, tree, repo creation, validate-yaml, preupload, git-LFS batch + PUT, and commits. Repos keep
a real history: every commit gets a 40-hex sha and revisions resolve by branch name or sha. Writes need a
token that owns the namespace (no token: 401, someone else's namespace: 403). ``corrupt`` flips bytes of
a stored file (same size, metadata unchanged) so tests can prove that the zoo hashes what it loads.

``mirror = True`` makes it answer like a Hub mirror (olah, say): the model listing's siblings carry no
``lfs`` and no ``blobId``, and ``resolve`` sends an ETag computed from the bytes it serves (so corrupted
bytes come with a matching ETag); the tree and paths-info endpoints still give the LFS pointers, unless
``tree_api = False`` (a mirror that does not answer them: 404).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

#: files stored through git-LFS (the Hub decides by .gitattributes; these are what the zoo uploads)
LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".png")
GITATTRIBUTES = "".join(f"*{s} filter=lfs diff=lfs merge=lfs -text\n" for s in LFS_SUFFIXES).encode()

_REPO = r"(?P<repo>[\w.-]+/[\w.-]+)"
_ROUTES = [
    ("GET", rf"/api/models/{_REPO}(?:/revision/(?P<rev>[^/]+))?", "model_info"),
    ("GET", rf"/api/models/{_REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?", "tree"),
    ("POST", rf"/api/models/{_REPO}/paths-info/(?P<rev>[^/]+)", "paths_info"),
    ("POST", r"/api/repos/create", "create_repo"),
    ("POST", r"/api/validate-yaml", "validate_yaml"),
    ("POST", rf"/api/models/{_REPO}/preupload/(?P<rev>[^/]+)", "preupload"),
    ("POST", rf"/api/models/{_REPO}/commit/(?P<rev>[^/]+)", "commit"),
    ("POST", rf"/{_REPO}\.git/info/lfs/objects/batch", "lfs_batch"),
    ("PUT", r"/lfs-upload/(?P<oid>[0-9a-f]{64})", "lfs_upload"),
    ("GET", rf"/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
    ("HEAD", rf"/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
]


@dataclass
class Blob:
    """A stored file; its hashes are fixed when it is stored (``corrupt`` changes only ``data``)."""

    data: bytes
    lfs: bool
    sha256: str = ""
    git_sha1: str = ""

    def __post_init__(self) -> None:
        self.sha256 = self.sha256 or hashlib.sha256(self.data).hexdigest()
        self.git_sha1 = self.git_sha1 or _git_sha1(self.pointer if self.lfs else self.data)

    @property
    def pointer(self) -> bytes:
        """The git-LFS pointer file that git stores in place of an LFS file's content."""
        spec = "version https://git-lfs.github.com/spec/v1"
        return f"{spec}\noid sha256:{self.sha256}\nsize {len(self.data)}\n".encode()

    @property
    def etag(self) -> str:
        """What the Hub sends as ETag: the sha256 for LFS files, the git blob sha1 otherwise."""
        return self.sha256 if self.lfs else self.git_sha1

    @property
    def served_etag(self) -> str:
        """What a mirror sends as ETag: the same kind of hash, computed from the bytes it serves."""
        return hashlib.sha256(self.data).hexdigest() if self.lfs else _git_sha1(self.data)

    def sibling(self, path: str) -> dict:
        """The model listing's entry (``blobId``: the git blob, which is the pointer for LFS files)."""
        out = {"rfilename": path, "size": len(self.data), "blobId": self.git_sha1}
        if self.lfs:
            out["lfs"] = {"sha256": self.sha256, "size": len(self.data), "pointerSize": len(self.pointer)}
        return out

    def tree_entry(self, path: str) -> dict:
        out = {"type": "file", "path": path, "size": len(self.data), "oid": self.git_sha1}
        if self.lfs:
            out["lfs"] = {"oid": self.sha256, "size": len(self.data), "pointerSize": len(self.pointer)}
        return out


def _git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Commit:
    sha: str
    title: str
    parent: str | None
    files: dict[str, Blob]


@dataclass
class Repo:
    id: str
    private: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)

    def resolve(self, rev: str) -> Commit | None:
        """A branch name or a full commit sha to its commit."""
        return self.commits.get(self.branches.get(rev, rev))

    def add_commit(self, branch: str, title: str, files: dict[str, Blob]) -> Commit:
        parent = self.branches.get(branch)
        seed = json.dumps(
            [self.id, len(self.commits), parent, title, sorted((p, b.etag) for p, b in files.items())]
        )
        commit = Commit(hashlib.sha1(seed.encode()).hexdigest(), title, parent, files)
        self.commits[commit.sha] = commit
        self.branches[branch] = commit.sha
        return commit


class HubError(Exception):
    """An HTTP error answered the way the Hub does (``X-Error-Code`` header, JSON body)."""

    def __init__(self, status: int, message: str, code: str | None = None, **extra: str):
        super().__init__(message)
        self.status, self.code, self.extra = status, code, extra


class HubServer:
    """The server and its in-memory state; ``start``/``stop`` it around a test."""

    def __init__(self, tokens: dict[str, set[str]] | None = None):
        self.tokens = tokens or {}  # token -> namespaces it may write
        self.repos: dict[str, Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}  # uploaded, waiting for a commit
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, for assertions
        self.mirror = False  # answer like a mirror: listing without lfs/blobId, ETags of the bytes served
        self.tree_api = True  # False: tree and paths-info answer 404
        self.lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> HubServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.hub = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="hubserver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open keep-alive connections and join the server thread."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._httpd = None

    def corrupt(self, repo_id: str, path: str, revision: str = "main") -> None:
        """Flip the bytes in the middle of a stored file: same size, same advertised hashes."""
        blob = self.repos[repo_id].resolve(revision).files[path]
        mid = len(blob.data) // 2
        blob.data = (
            blob.data[:mid] + bytes(b ^ 0xFF for b in blob.data[mid : mid + 16]) + blob.data[mid + 16 :]
        )

    # -- authorisation ---------------------------------------------------------------------------------

    def check_write(self, token: str | None, namespace: str) -> None:
        if token is None:
            raise HubError(401, "You must be authenticated to write (no token sent)")
        if token not in self.tokens:
            raise HubError(401, "Invalid credentials in Authorization header")
        if namespace not in self.tokens[token]:
            raise HubError(403, f"You don't have the rights to write to the namespace {namespace!r}")

    def readable_repo(self, repo_id: str, token: str | None) -> Repo:
        repo = self.repos.get(repo_id)
        if repo is None or (repo.private and repo_id.split("/")[0] not in self.tokens.get(token, ())):
            raise HubError(404, f"Repository {repo_id} not found", "RepoNotFound")
        return repo

    def commit_at(self, repo: Repo, rev: str) -> Commit:
        commit = repo.resolve(rev)
        if commit is None:
            raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        return commit


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hub: HubServer

    def __init__(self, *args, **kwargs):
        self.connections: set[socket.socket] = set()
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address):
        self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        for conn in list(self.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client expects: every response has a Content-Length
    server: _Server

    def log_message(self, format, *args):  # quiet: failing tests show the client's errors instead
        pass

    def do_GET(self):
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_GET

    # -- plumbing --------------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        hub = self.server.hub
        url = urlsplit(self.path)
        self.query = parse_qs(url.query)
        hub.requests.append((self.command, url.path))
        auth = self.headers.get("Authorization", "")
        self.token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        self.base_url = f"http://{self.headers['Host']}"
        body = self._read_body()
        try:
            for method, pattern, name in _ROUTES:
                match = re.fullmatch(pattern, url.path)
                if method == self.command and match:
                    args = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                    with hub.lock:
                        getattr(self, name)(hub, body, **args)
                    return
            raise HubError(404, f"no route for {self.command} {url.path}")
        except HubError as err:
            headers = {"X-Error-Message": str(err)}
            if err.code:
                headers["X-Error-Code"] = err.code
            self._send(err.status, {"error": str(err), **err.extra}, headers)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(
        self, status: int, body: bytes | dict | list = b"", headers: dict[str, str] | None = None
    ) -> None:
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    # -- downloads -------------------------------------------------------------------------------------

    def resolve(self, hub: HubServer, body: bytes, repo: str, rev: str, path: str) -> None:
        commit = hub.commit_at(hub.readable_repo(repo, self.token), rev)
        blob = commit.files.get(path)
        if blob is None:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        etag = blob.served_etag if hub.mirror else blob.etag
        headers = {"X-Repo-Commit": commit.sha, "ETag": f'"{etag}"', "Accept-Ranges": "bytes"}
        data, status = blob.data, 200
        if match := re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", "")):
            start, end = int(match[1]), int(match[2] or len(data) - 1)
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            data, status = data[start : end + 1], 206
        self._send(status, data, headers)

    def model_info(self, hub: HubServer, body: bytes, repo: str, rev: str = "main") -> None:
        found = hub.readable_repo(repo, self.token)
        commit = hub.commit_at(found, rev)
        blobs = self.query.get("blobs", ["false"])[0].lower() in ("true", "1") and not hub.mirror
        siblings = [b.sibling(p) if blobs else {"rfilename": p} for p, b in sorted(commit.files.items())]
        info = {"id": repo, "modelId": repo, "author": repo.split("/")[0], "sha": commit.sha}
        self._send(200, {**info, "private": found.private, "tags": [], "siblings": siblings})

    def tree(self, hub: HubServer, body: bytes, repo: str, rev: str, path: str = "") -> None:
        commit = self._tree_commit(hub, repo, rev)
        prefix = f"{path.strip('/')}/" if path.strip("/") else ""
        recursive = self.query.get("recursive", ["false"])[0].lower() in ("true", "1")
        entries, folders = [], set()
        for name, blob in sorted(commit.files.items()):
            if not name.startswith(prefix):
                continue
            parts = name[len(prefix) :].split("/")
            for depth in range(1, len(parts) if recursive else min(2, len(parts))):
                folders.add(prefix + "/".join(parts[:depth]))
            if recursive or len(parts) == 1:
                entries.append(blob.tree_entry(name))
        if prefix and not entries and not folders:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        dirs = [{"type": "directory", "path": d, "size": 0, "oid": "0" * 40} for d in sorted(folders)]
        self._send(200, dirs + entries)

    def paths_info(self, hub: HubServer, body: bytes, repo: str, rev: str) -> None:
        """The entries of the form's ``paths`` that exist (files, and folders holding files)."""
        commit = self._tree_commit(hub, repo, rev)
        entries = []
        for path in parse_qs(body.decode()).get("paths", []):
            path = path.strip("/")
            if path in commit.files:
                entries.append(commit.files[path].tree_entry(path))
            elif any(name.startswith(f"{path}/") for name in commit.files):
                entries.append({"type": "directory", "path": path, "oid": "0" * 40})
        self._send(200, entries)

    def _tree_commit(self, hub: HubServer, repo: str, rev: str) -> Commit:
        if not hub.tree_api:
            raise HubError(404, f"no route for {self.command} {self.path} (this mirror has no tree API)")
        return hub.commit_at(hub.readable_repo(repo, self.token), rev)

    # -- uploads ---------------------------------------------------------------------------------------

    def create_repo(self, hub: HubServer, body: bytes) -> None:
        req = json.loads(body)
        if req.get("type", "model") != "model" or not req.get("organization"):
            raise HubError(400, "this test server creates model repos named 'namespace/name' only")
        repo_id = f"{req['organization']}/{req['name']}"
        hub.check_write(self.token, req["organization"])
        url = f"{self.base_url}/{repo_id}"
        if repo_id in hub.repos:
            raise HubError(409, "You already created this model repo", url=url)  # exist_ok reads "url"
        private = req.get("visibility") == "private" or bool(req.get("private"))  # "private": older clients
        repo = hub.repos[repo_id] = Repo(repo_id, private)
        repo.add_commit("main", "initial commit", {".gitattributes": Blob(GITATTRIBUTES, lfs=False)})
        self._send(200, {"url": url, "name": repo_id, "id": repo_id})

    def validate_yaml(self, hub: HubServer, body: bytes) -> None:
        content = json.loads(body)["content"]
        errors = []
        if content.startswith("---\n"):
            try:
                meta = yaml.safe_load(content[4:].split("\n---", 1)[0])
                if not isinstance(meta, dict):
                    errors.append({"message": "metadata must be a YAML mapping"})
            except yaml.YAMLError as exc:
                errors.append({"message": f"invalid YAML: {exc}"})
        self._send(400 if errors else 200, {"errors": errors, "warnings": []})

    def _writable(self, hub: HubServer, repo: str) -> Repo:
        hub.check_write(self.token, repo.split("/")[0])
        return hub.readable_repo(repo, self.token)

    def preupload(self, hub: HubServer, body: bytes, repo: str, rev: str) -> None:
        head = hub.commit_at(self._writable(hub, repo), rev)
        files = []
        for f in json.loads(body)["files"]:
            lfs = f["path"].endswith(LFS_SUFFIXES) or f["size"] > 10_000_000
            existing = head.files.get(f["path"])
            oid = existing.etag if existing is not None and existing.lfs == lfs else None
            mode = "lfs" if lfs else "regular"
            files.append({"path": f["path"], "uploadMode": mode, "shouldIgnore": False, "oid": oid})
        self._send(200, {"files": files})

    def lfs_batch(self, hub: HubServer, body: bytes, repo: str) -> None:
        self._writable(hub, repo)
        objects = []
        for obj in json.loads(body)["objects"]:
            out = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
            if obj["oid"] not in hub.lfs_objects:
                out["actions"] = {
                    "upload": {"href": f"{self.base_url}/lfs-upload/{obj['oid']}", "header": {}}
                }
            objects.append(out)
        self._send(200, {"transfer": "basic", "objects": objects})

    def lfs_upload(self, hub: HubServer, body: bytes, oid: str) -> None:
        if hashlib.sha256(body).hexdigest() != oid:
            raise HubError(400, f"uploaded content does not hash to {oid}")
        hub.lfs_objects[oid] = body
        self._send(200)

    def commit(self, hub: HubServer, body: bytes, repo: str, rev: str) -> None:
        found = self._writable(hub, repo)
        if rev not in found.branches:
            raise HubError(400, f"commits go to a branch; {rev!r} is not one", "RevisionNotFound")
        files = dict(found.resolve(rev).files)
        title = ""
        for line in body.splitlines():
            op = json.loads(line)
            key, value = op["key"], op["value"]
            if key == "header":
                title = value["summary"]
            elif key == "file":
                files[value["path"]] = Blob(base64.b64decode(value["content"]), lfs=False)
            elif key == "lfsFile":
                if value["oid"] not in hub.lfs_objects:
                    raise HubError(400, f"LFS object {value['oid']} was never uploaded")
                files[value["path"]] = Blob(hub.lfs_objects[value["oid"]], lfs=True)
            elif key == "deletedFile":
                files.pop(value["path"], None)
            else:
                raise HubError(400, f"unsupported commit operation {key!r}")
        commit = found.add_commit(rev, title, files)
        self._send(200, {"commitOid": commit.sha, "commitUrl": f"{self.base_url}/{repo}/commit/{commit.sha}"})


def point_client_at(monkeypatch, endpoint: str, hf_home: str) -> None:
    """Point huggingface_hub at ``endpoint`` with a fresh ``HF_HOME``, online, no token, no telemetry, no Xet.

    The client reads these variables once, at import, so its ``constants`` are patched beside the
    environment (``monkeypatch`` undoes both).
    """
    from huggingface_hub import constants

    env = {
        "HF_ENDPOINT": endpoint,
        "HF_HOME": hf_home,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_XET": "1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_CACHE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(key, raising=False)
    patched = {
        "ENDPOINT": endpoint,
        "HUGGINGFACE_CO_URL_TEMPLATE": endpoint + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_HOME": hf_home,
        "HF_HUB_CACHE": f"{hf_home}/hub",
        "HF_ASSETS_CACHE": f"{hf_home}/assets",
        "HF_XET_CACHE": f"{hf_home}/xet",
        "HF_TOKEN_PATH": f"{hf_home}/token",
        "HF_STORED_TOKENS_PATH": f"{hf_home}/stored_tokens",
        "HF_HUB_OFFLINE": False,
        "HF_HUB_DISABLE_TELEMETRY": True,
        "HF_HUB_DISABLE_XET": True,
    }
    for key, value in patched.items():
        monkeypatch.setattr(constants, key, value)


def set_offline(monkeypatch, offline: bool = True) -> None:
    """Turn ``HF_HUB_OFFLINE`` on or off for the client (environment and its import-time constant)."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1" if offline else "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", offline)


def set_unreachable(monkeypatch) -> None:
    """Point the client at a port of 127.0.0.1 nothing listens on: every request fails to connect."""
    import socket

    from huggingface_hub import constants

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setattr(constants, "ENDPOINT", closed)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", closed + "/{repo_id}/resolve/{revision}/{filename}"
    )
