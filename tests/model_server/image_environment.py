"""The serving image, built from model_server/Dockerfile without a Docker engine, and its containers run.

No Docker engine exists where the tests run, so this module reads the Dockerfile and does what its
instructions say, on this machine, in a throw-away root file system:

- build stage: WORKDIR and COPY (honouring .dockerignore) fill a build directory that is mounted at the
  stage's WORKDIR; RUN lines run under `sh -c` as root in a private mount namespace whose root is a fresh
  tmpfs holding only the system directories (read-only), the base image's Python (this machine's Python
  of the same minor version, on PATH where the base image has /usr/local/bin), the build directory and the
  image's /opt/venv. `apt-get` lines are not run: they install the compilers that the host already has.
- final stage: `COPY --from=build` of the venv, the user and directories of its RUN line, ENV, WORKDIR,
  USER, ENTRYPOINT/CMD.
- a container runs as the Dockerfile's USER (setpriv, no new privileges, no supplementary groups) in a
  fresh root like the build's, with /opt/venv read-only, the pod's volumes mounted where the manifest
  says, and, with readOnlyRootFilesystem, the whole root read-only: only the emptyDirs are writable.

Docker's layer cache is imitated for the expensive layer: the state after each RUN is kept (hard links)
under build/image-layers/<hash of every instruction and copied file so far>, so the dependency layer is
installed once per change of the pins, not once per test session. pip's `--no-cache-dir` is dropped so the
machine's wheel cache serves the downloads; the cache changes no installed file.
"""

from __future__ import annotations

import fcntl
import fnmatch
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "model_server" / "Dockerfile"
LAYER_CACHE = REPO / "build" / "image-layers"
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# What the tmpfs root gets from the host, read-only: the base image's operating system.
SYSTEM_DIRECTORIES = ("usr", "etc", "dev", "proc", "sys")
# pip's configuration on this machine points at local package indexes; the build reads them.
PIP_SOURCES = ("/opt/pypi", "/opt/pypi-more", "/opt/wheels")


class DockerfileError(AssertionError):
    """An instruction this interpreter does not know how to run: extend it rather than skip the line."""


@dataclass(frozen=True)
class Instruction:
    keyword: str
    value: str
    line: int


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)


def parse_dockerfile(path: Path = DOCKERFILE) -> list[Stage]:
    stages: list[Stage] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        text = " ".join(part for part in pending if part)
        pending = []
        keyword, _, value = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = value.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif not stages:
            raise DockerfileError(f"{path}:{start}: {keyword} before FROM")
        else:
            stages[-1].instructions.append(Instruction(keyword, value.strip(), start))
    return stages


def _dockerignore_patterns() -> list[str]:
    ignore = REPO / ".dockerignore"
    if not ignore.is_file():
        return []
    return [line.strip() for line in ignore.read_text().splitlines() if line.strip() and not line.startswith("#")]


def _ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        if fnmatch.fnmatch(relative, pattern) or any(fnmatch.fnmatch(part, bare) for part in parts):
            return True
    return False


def _context_files(source: str, patterns: list[str]) -> list[Path]:
    path = REPO / source
    if not path.exists():
        raise DockerfileError(f"COPY source '{source}' is not in the build context")
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and not _ignored(p.relative_to(REPO).as_posix(), patterns))


def _parse_env(value: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for word in shlex.split(value):
        key, sep, val = word.partition("=")
        if not sep:
            raise DockerfileError(f"ENV {value!r}: only the KEY=VALUE form is supported")
        env[key] = val
    return env


def _expand(value: str, env: dict[str, str]) -> str:
    for key, val in env.items():
        value = value.replace("${" + key + "}", val).replace("$" + key, val)
    return value


def base_python() -> Path:
    """This machine's interpreter of the base image's Python minor version (the shared venv's base)."""
    return Path(os.path.realpath(sys._base_executable))  # type: ignore[attr-defined]


def _python_home() -> Path:
    return base_python().parent.parent


@dataclass
class Mount:
    source: Path
    target: str  # path inside the container
    read_only: bool


def _root_script(root: Path, mounts: list[Mount], directories: dict[str, tuple[int, int, int]],
                 read_only_root: bool) -> str:
    """Shell lines (run as root in a private mount namespace) that assemble the container's root at `root`."""
    q = shlex.quote
    lines = ["set -e", f"mount -t tmpfs -o mode=0755 slipstack-root {q(str(root))}"]
    for name in SYSTEM_DIRECTORIES:
        if any(m.target.startswith(f"/{name}/") for m in mounts):
            # A volume is mounted below this system directory (e.g. /etc/slipstack/...): its mount point cannot be
            # made in the host's read-only directory, so the directory is rebuilt entry by entry instead.
            lines.append(f"mkdir -p {q(f'{root}/{name}')}")
            for entry in sorted(os.listdir(f"/{name}")):
                source, target = f"/{name}/{entry}", f"{root}/{name}/{entry}"
                if os.path.islink(source):
                    lines.append(f"ln -s {q(os.readlink(source))} {q(target)}")
                    continue
                make = f"mkdir -p {q(target)}" if os.path.isdir(source) else f"touch {q(target)}"
                lines += [make, f"mount --rbind {q(source)} {q(target)}", f"mount -o remount,bind,ro {q(target)}"]
            continue
        lines += [f"mkdir -p {q(f'{root}/{name}')}", f"mount --rbind /{name} {q(f'{root}/{name}')}"]
        if name not in ("dev", "proc"):
            lines.append(f"mount -o remount,bind,ro {q(f'{root}/{name}')}")
    for link in ("bin", "sbin", "lib", "lib64"):
        if os.path.islink(f"/{link}"):
            lines.append(f"ln -s {q(os.readlink(f'/{link}'))} {q(f'{root}/{link}')}")
        elif os.path.isdir(f"/{link}"):
            lines += [f"mkdir -p {q(f'{root}/{link}')}", f"mount --rbind /{link} {q(f'{root}/{link}')}",
                      f"mount -o remount,bind,ro {q(f'{root}/{link}')}"]
    home = _python_home()
    system_mounts = [Mount(home, str(home), True)] + [Mount(Path(p), p, True) for p in PIP_SOURCES if os.path.isdir(p)]
    for path, (mode, uid, gid) in sorted(directories.items()):
        lines += [f"mkdir -p {q(f'{root}{path}')}", f"chown {uid}:{gid} {q(f'{root}{path}')}",
                  f"chmod {mode:o} {q(f'{root}{path}')}"]
    for mount in system_mounts + sorted(mounts, key=lambda m: m.target.count("/")):
        target = f"{root}{mount.target}"
        if mount.source.is_dir():
            make = f"mkdir -p {q(target)}"
        else:
            make = f"mkdir -p {q(os.path.dirname(target))} && touch {q(target)}"
        lines += [make, f"mount --bind {q(str(mount.source))} {q(target)}"]
        if mount.read_only:
            lines.append(f"mount -o remount,bind,ro {q(target)}")
    # Parents of the directories above were created by root with mode 0755: the base image's layout.
    lines.append(f"chmod 0755 {q(str(root))}/root 2>/dev/null || true")
    if read_only_root:
        lines.append(f"mount -o remount,ro {q(str(root))}")
    return "\n".join(lines)


def run_in_root(argv: list[str], *, root: Path, mounts: list[Mount], env: dict[str, str], workdir: str,
                user: tuple[int, int] | None, groups: list[int] | None = None,
                directories: dict[str, tuple[int, int, int]] | None = None,
                read_only_root: bool = False, popen: bool = False, timeout: float = 600,
                stdout: Any = subprocess.PIPE) -> subprocess.CompletedProcess[str] | subprocess.Popen[str]:
    """Run argv in a fresh root (see the module docstring); as `user` (uid, gid) when given."""
    root.mkdir(parents=True, exist_ok=True)
    setup = _root_script(root, mounts, directories or {}, read_only_root)
    env_args = " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
    supplementary = f"--groups={','.join(map(str, groups))}" if groups else "--clear-groups"
    drop = (f"/usr/bin/setpriv --reuid={user[0]} --regid={user[1]} {supplementary} --no-new-privs "
            if user is not None else "")
    command = (f"exec chroot {shlex.quote(str(root))} {drop}/usr/bin/env -i -C {shlex.quote(workdir)} {env_args} "
               + " ".join(shlex.quote(a) for a in argv))
    full = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", setup + "\n" + command]
    if popen:
        return subprocess.Popen(full, stdout=stdout, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    return subprocess.run(full, capture_output=True, text=True, timeout=timeout, check=False)


@dataclass
class Image:
    """The built image: where its /opt/venv lives on this machine and what the final stage declares."""

    venv: Path
    env: dict[str, str]
    workdir: str
    user: tuple[int, int]
    directories: dict[str, tuple[int, int, int]]
    entrypoint: list[str]
    cmd: list[str]
    skipped: list[str]

    def run(self, argv: list[str], *, scratch: Path, mounts: list[Mount], env: dict[str, str] | None = None,
            workdir: str | None = None, read_only_root: bool = True, popen: bool = False, timeout: float = 600,
            user: tuple[int, int] | None = None, groups: list[int] | None = None,
            stdout: Any = subprocess.PIPE) -> subprocess.CompletedProcess[str] | subprocess.Popen[str]:
        """Run argv as the image's USER (or `user`, the pod's runAsUser); env is the container's on top of ENV."""
        merged = {**self.env, **(env or {})}
        scratch.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="root.", dir=scratch))
        return run_in_root(argv, root=root, mounts=[Mount(self.venv, "/opt/venv", True), *mounts], env=merged,
                           workdir=workdir or self.workdir, user=user or self.user, groups=groups,
                           directories=self.directories,
                           read_only_root=read_only_root, popen=popen, timeout=timeout, stdout=stdout)


def _copy_into(sources: list[str], dest: str, workdir: str, tree: dict[str, Path], patterns: list[str]) -> bytes:
    """COPY from the build context into the stage's trees; returns the bytes hashed for the layer cache."""
    digest = hashlib.sha256()
    target = dest if dest.startswith("/") else f"{workdir.rstrip('/')}/{dest}"
    mount_point, host = next(((p, h) for p, h in tree.items() if target == p or target.startswith(p + "/")),
                             (None, None))
    if host is None or mount_point is None:
        raise DockerfileError(f"COPY to {target}: outside the stage's writable trees {sorted(tree)}")
    into_directory = dest.endswith("/") or len(sources) > 1
    for source in sources:
        base = REPO / source
        for file in _context_files(source, patterns):
            if base.is_dir():
                relative = f"{target}/{file.relative_to(base).as_posix()}"
            elif into_directory:
                relative = f"{target.rstrip('/')}/{file.name}"
            else:
                relative = target
            out = host / relative.removeprefix(mount_point).lstrip("/")
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, out)
            digest.update(relative.encode() + b"\0" + file.read_bytes())
    return digest.digest()


def build_image(scratch: Path) -> Image:
    """Build the image from the Dockerfile (see the module docstring); a lock serialises sessions sharing the cache."""
    stages = parse_dockerfile()
    if len(stages) != 2 or stages[0].name is None:
        raise DockerfileError("expected a named build stage and a final stage")
    build, final = stages
    patterns = _dockerignore_patterns()
    LAYER_CACHE.mkdir(parents=True, exist_ok=True)
    with open(LAYER_CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_locked(build, final, patterns, scratch)


def _build_locked(build: Stage, final: Stage, patterns: list[str], scratch: Path) -> Image:
    python = base_python()
    if not build.base.startswith(f"python:{sys.version_info.major}.{sys.version_info.minor}."):
        raise DockerfileError(f"base image {build.base}: this machine provides Python "
                              f"{sys.version_info.major}.{sys.version_info.minor}")
    key = hashlib.sha256(f"{build.base} {python} {sys.version}".encode())
    work = Path(tempfile.mkdtemp(prefix="build.", dir=scratch))
    venv, context = work / "venv", work / "build"
    venv.mkdir()
    context.mkdir()
    workdir = "/"
    tree: dict[str, Path] = {"/opt/venv": venv}
    env = {"PATH": BASE_PATH.replace("/usr/local/bin", f"{python.parent}:/usr/local/bin"), "HOME": "/root",
           "LANG": "C.UTF-8"}
    skipped: list[str] = []
    steps = build.instructions
    # Docker's layer cache: find the last RUN whose state (hash of everything before and including it) is kept.
    keys: list[str] = []
    for instruction in steps:
        key.update(f"{instruction.keyword} {instruction.value}\n".encode())
        if instruction.keyword == "COPY":
            words = instruction.value.split()
            for source in words[:-1]:
                for file in _context_files(source, patterns):
                    key.update(file.relative_to(REPO).as_posix().encode() + b"\0" + file.read_bytes())
        keys.append(key.hexdigest()[:24])
    resume = 0
    for index in range(len(steps) - 1, -1, -1):
        if steps[index].keyword == "RUN" and (LAYER_CACHE / keys[index] / "done").is_file():
            subprocess.run(["cp", "-al", f"{LAYER_CACHE / keys[index]}/venv/.", str(venv)], check=True)
            subprocess.run(["cp", "-al", f"{LAYER_CACHE / keys[index]}/build/.", str(context)], check=True)
            resume = index + 1
            break
    for index, instruction in enumerate(steps):
        keyword, value = instruction.keyword, instruction.value
        if keyword == "WORKDIR":
            workdir = value
            if value not in tree:
                tree[value] = context
            continue
        if index < resume:
            continue
        if keyword == "COPY":
            words = value.split()
            if any(w.startswith("--") for w in words):
                raise DockerfileError(f"Dockerfile:{instruction.line}: COPY flags are not supported in the build stage")
            _copy_into(words[:-1], words[-1], workdir, tree, patterns)
        elif keyword == "ENV":
            env.update({k: _expand(v, env) for k, v in _parse_env(value).items()})
        elif keyword == "RUN":
            if value.startswith("apt-get"):
                skipped.append(f"Dockerfile:{instruction.line}: RUN apt-get ... (the host has the build tools)")
                continue
            command = value.replace("--no-cache-dir ", "")
            mounts = [Mount(host, path, False) for path, host in tree.items()]
            cache = Path.home() / ".cache" / "pip"
            if cache.is_dir():
                mounts.append(Mount(cache, "/root/.cache/pip", False))
            run = run_in_root(["/bin/sh", "-c", command], root=work / f"root-{index}", mounts=mounts, env=env,
                              workdir=workdir, user=None, timeout=1800)
            assert isinstance(run, subprocess.CompletedProcess)
            if run.returncode != 0:
                raise DockerfileError(f"Dockerfile:{instruction.line}: RUN failed ({run.returncode}):\n"
                                      f"{run.stdout[-4000:]}\n{run.stderr[-4000:]}")
            layer = LAYER_CACHE / keys[index]
            if not (layer / "done").is_file():
                shutil.rmtree(layer, ignore_errors=True)
                layer.mkdir(parents=True)
                subprocess.run(["cp", "-al", str(venv), str(layer / "venv")], check=True)
                subprocess.run(["cp", "-al", str(context), str(layer / "build")], check=True)
                (layer / "done").write_text(json.dumps({"instruction": f"{keyword} {value}"}))
        else:
            raise DockerfileError(f"Dockerfile:{instruction.line}: {keyword} is not supported in the build stage")
    return _final_stage(final, build, venv, python, skipped)


def _final_stage(final: Stage, build: Stage, venv: Path, python: Path, skipped: list[str]) -> Image:
    env = {"PATH": BASE_PATH.replace("/usr/local/bin", f"{python.parent}:/usr/local/bin"), "LANG": "C.UTF-8"}
    users: dict[str, tuple[int, int]] = {}
    groups: dict[str, int] = {}
    directories: dict[str, tuple[int, int, int]] = {"/tmp": (0o1777, 0, 0)}
    workdir, user = "/", (0, 0)
    entrypoint: list[str] = []
    cmd: list[str] = []
    for instruction in final.instructions:
        keyword, value = instruction.keyword, instruction.value
        if keyword == "COPY":
            words = value.split()
            if words[0] != f"--from={build.name}" or words[1:] != ["/opt/venv", "/opt/venv"]:
                raise DockerfileError(f"Dockerfile:{instruction.line}: only `COPY --from={build.name} /opt/venv "
                                      "/opt/venv` is supported in the final stage")
        elif keyword == "RUN":
            for part in value.split("&&"):
                words = shlex.split(part)
                if words[0] == "groupadd":
                    groups[words[-1]] = int(words[words.index("--gid") + 1])
                elif words[0] == "useradd":
                    gid = groups[words[words.index("--gid") + 1]]
                    users[words[-1]] = (int(words[words.index("--uid") + 1]), gid)
                elif words[:2] == ["mkdir", "-p"]:
                    for path in words[2:]:
                        directories.setdefault(path, (0o755, 0, 0))
                elif words[0] == "chown":
                    owner, group = words[1].split(":")
                    for path in words[2:]:
                        directories[path] = (0o755, users[owner][0], groups[group])
                else:
                    raise DockerfileError(f"Dockerfile:{instruction.line}: final-stage command {words[0]!r} "
                                          "is not supported")
        elif keyword == "ENV":
            env.update({k: _expand(v, env) for k, v in _parse_env(value).items()})
        elif keyword == "WORKDIR":
            workdir = value
            directories.setdefault(value, (0o755, 0, 0))
        elif keyword == "USER":
            uid, _, gid = value.partition(":")
            user = (int(uid), int(gid or uid))
        elif keyword == "ENTRYPOINT":
            entrypoint = json.loads(value)
        elif keyword == "CMD":
            cmd = json.loads(value)
        elif keyword in ("LABEL", "EXPOSE", "HEALTHCHECK"):
            continue
        else:
            raise DockerfileError(f"Dockerfile:{instruction.line}: {keyword} is not supported in the final stage")
    return Image(venv=venv, env=env, workdir=workdir, user=user, directories=directories, entrypoint=entrypoint,
                 cmd=cmd, skipped=skipped)
