"""The container image of docs/deployment.md: its Dockerfile and .dockerignore say what the page says, and,
where Docker can build, the image builds, runs as a user of its own and serves.

The checks of the files always run: the Dockerfile is read as Docker reads it (continuations, comments,
JSON exec forms, ARG defaults in FROM) and .dockerignore matched as Docker matches it. The build test
needs a Docker daemon and the base image (from Docker Hub, or the mirror named by NEWSGRAPH_DOCKER_BASE);
without either it skips and says which was missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from newsgraph.load import load_files
from newsgraph.settings import specs
from newsgraph.store import EventStore
from tests.drivers import REPO, free_port, running_server

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
DEPLOYMENT = REPO / "docs" / "deployment.md"
BASE_IMAGE = "python:3.11-slim"
BUNDLED_EVENTS = 214


# ---- reading the Dockerfile ----


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    arguments: str  # the rest of the logical line, continuations joined

    def exec_form(self) -> list[str] | None:
        """The arguments as a JSON array (`CMD ["a", "b"]`), or None in shell form."""
        text = self.arguments.strip()
        if not text.startswith("["):
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, list) and all(isinstance(item, str) for item in value) else None

    def flags_and_rest(self) -> tuple[dict[str, str], str]:
        """Leading `--name=value` flags (COPY --from, HEALTHCHECK --interval) and what follows them."""
        flags: dict[str, str] = {}
        rest = self.arguments.strip()
        while match := re.match(r"--([a-z-]+)=(\S+)\s+", rest):
            flags[match[1]] = match[2]
            rest = rest[match.end():]
        return flags, rest


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions: comment lines dropped (inside continuations too), `\\` lines joined."""
    result: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical = pending + stripped
        pending = ""
        keyword, _, arguments = logical.partition(" ")
        result.append(Instruction(keyword.upper(), arguments.strip()))
    assert not pending, "the Dockerfile ends inside a continuation"
    return result


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction]

    def all(self, keyword: str) -> list[Instruction]:
        return [item for item in self.instructions if item.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"the {self.name or 'final'} stage has no {keyword}"
        return found[-1]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for item in self.all("ENV"):
            for word in shlex.split(item.arguments):
                name, equals, value = word.partition("=")
                assert equals, f"ENV in the legacy `ENV name value` form: {item.arguments}"
                values[name] = value
        return values


def stages(text: str) -> list[Stage]:
    """The build stages, each FROM's image with the ARG defaults declared before the first FROM put in."""
    global_args: dict[str, str] = {}
    result: list[Stage] = []
    for item in instructions(text):
        if item.keyword == "ARG" and not result:
            name, _, default = item.arguments.partition("=")
            global_args[name.strip()] = default.strip()
        elif item.keyword == "FROM":
            _, words = item.flags_and_rest()
            image, *alias = words.split()
            image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: global_args[m[1] or m[2]], image)
            result.append(Stage(image, alias[1] if len(alias) == 2 and alias[0].upper() == "AS" else None, []))
        else:
            assert result, f"{item.keyword} before the first FROM"
            result[-1].instructions.append(item)
    return result


@pytest.fixture(scope="module")
def dockerfile() -> list[Stage]:
    return stages(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runtime(dockerfile: list[Stage]) -> Stage:
    return dockerfile[-1]


def test_the_image_is_built_in_stages_on_the_slim_python(dockerfile: list[Stage]) -> None:
    assert len(dockerfile) >= 2, "a build stage (wheel, venv, bundled store) and a runtime stage"
    assert {stage.base for stage in dockerfile} == {BASE_IMAGE}
    runtime = dockerfile[-1]
    copied_from = {item.flags_and_rest()[0].get("from") for item in runtime.all("COPY")}
    assert copied_from - {None}, "the runtime copies what the build stage made"
    assert any("pip wheel" in item.arguments for stage in dockerfile[:-1] for item in stage.all("RUN"))


def test_the_server_runs_as_a_user_of_its_own(runtime: Stage) -> None:
    user = runtime.last("USER").arguments.split(":")[0]
    args = {item.arguments.partition("=")[0]: item.arguments.partition("=")[2] for item in runtime.all("ARG")}
    user = re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], user)
    assert user not in ("root", "0", ""), user
    assert user.isdigit(), "a numeric USER, which Kubernetes' runAsNonRoot can check"
    assert any("useradd" in item.arguments for item in runtime.all("RUN"))
    # nothing after USER runs as root again, and USER comes after every RUN that needs root
    position = runtime.instructions.index(runtime.last("USER"))
    assert not [item for item in runtime.instructions[position:] if item.keyword == "RUN"]


def test_the_store_lives_on_the_volume_and_the_server_listens_on_every_address(runtime: Stage) -> None:
    assert shlex.split(runtime.last("VOLUME").arguments) == ["/data"] or runtime.last("VOLUME").exec_form() == ["/data"]
    env = runtime.env()
    assert Path(env["NEWSGRAPH_DB"]).parent == Path("/data")
    # the archive directory sits on the volume, and the image has no markdown there: a server loads only yours
    assert Path(env["NEWSGRAPH_DATA"]).is_relative_to("/data")
    assert not any(env["NEWSGRAPH_DATA"] in item.arguments for item in runtime.all("COPY"))
    assert env["NEWSGRAPH_HOST"] == "0.0.0.0"
    assert runtime.last("EXPOSE").arguments.split() == [env["NEWSGRAPH_PORT"]] == ["8000"]
    assert runtime.last("ENTRYPOINT").exec_form() == ["newsgraph"]
    assert runtime.last("CMD").exec_form() == ["serve"]


def test_every_newsgraph_variable_of_the_image_is_a_setting(dockerfile: list[Stage]) -> None:
    known = {spec.env for spec in specs()}
    for stage in dockerfile:
        unknown = {name for name in stage.env() if name.startswith("NEWSGRAPH_")} - known
        assert not unknown, f"not settings of gql/settings.py: {unknown}"


def healthcheck_command(runtime: Stage) -> list[str]:
    flags, rest = runtime.last("HEALTHCHECK").flags_and_rest()
    assert {"interval", "timeout", "start-period", "retries"} <= set(flags)
    keyword, _, command = rest.partition(" ")
    assert keyword.upper() == "CMD"
    argv = Instruction("CMD", command).exec_form()
    assert argv, "HEALTHCHECK CMD in exec form: the slim image has no curl, and needs no shell"
    return argv


def test_the_health_check_asks_healthz_with_python(runtime: Stage) -> None:
    argv = healthcheck_command(runtime)
    assert argv[:2] == ["python", "-c"] and "/healthz" in argv[2] and "NEWSGRAPH_PORT" in argv[2]


@pytest.mark.slow
def test_the_health_check_passes_on_a_server_and_fails_without_one(runtime: Stage) -> None:
    """The image's HEALTHCHECK command, run here: exit 0 against a serving newsgraph, not 0 against no one."""
    argv = [sys.executable, *healthcheck_command(runtime)[1:]]
    with running_server() as url:
        port = url.rsplit(":", 1)[1]
        passed = subprocess.run(argv, env={**os.environ, "NEWSGRAPH_PORT": port}, capture_output=True, timeout=30)
        assert passed.returncode == 0, passed.stderr
    failed = subprocess.run(argv, env={**os.environ, "NEWSGRAPH_PORT": str(free_port())}, capture_output=True,
                            timeout=30)
    assert failed.returncode != 0


# ---- .dockerignore ----


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go's filepath.Match plus `**`, as moby's patternmatcher reads it) as a regex."""
    out, index = "", 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out, index = out + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            out, index = out + ".*", index + 2
        elif char == "*":
            out, index = out + "[^/]*", index + 1
        elif char == "?":
            out, index = out + "[^/]", index + 1
        else:
            out, index = out + re.escape(char), index + 1
    return re.compile(out + r"\Z")


def _rules(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        rules.append((keep, _pattern_regex(pattern)))
    return rules


def excluded(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether Docker leaves `path` (relative to the context) out: the last rule matching it or a parent wins."""
    parts = path.split("/")
    candidates = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    result = False
    for keep, regex in rules:
        if any(regex.match(candidate) for candidate in candidates):
            result = not keep
    return result


@pytest.fixture(scope="module")
def ignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    return _rules(DOCKERIGNORE.read_text(encoding="utf-8"))


def test_the_matcher_reads_patterns_as_docker_does() -> None:
    rules = _rules("*\n!gql/\n**/__pycache__\n!keep/**/*.md\n")
    assert excluded(".venv/bin/python", rules) and excluded("README.md", rules)
    assert not excluded("gql/server/app.py", rules)
    assert excluded("gql/server/__pycache__/app.cpython-311.pyc", rules)
    assert not excluded("keep/a/b/c.md", rules) and excluded("keep/a/b/c.txt", rules)


@pytest.mark.parametrize("path", [
    ".venv/bin/python", ".git/HEAD", "tests/clients/node_modules/graphql/package.json", "node_modules/x/y.js",
    "bench/out/report.json", "data/newsgraph.json", "data/newsgraph.json.manifest", "data/newsgraph.json.lock",
    "gql/__pycache__/settings.cpython-311.pyc", "tests/test_deployment.py", ".env", "newsgraph.egg-info/PKG-INFO",
])
def test_the_build_context_leaves_out(path: str, ignore_rules: list[tuple[bool, re.Pattern[str]]]) -> None:
    assert excluded(path, ignore_rules)


def test_the_build_context_holds_everything_the_dockerfile_copies(
        dockerfile: list[Stage], ignore_rules: list[tuple[bool, re.Pattern[str]]]) -> None:
    sources = [source for stage in dockerfile for item in stage.all("COPY") if "from" not in item.flags_and_rest()[0]
               for source in (item.exec_form() or item.flags_and_rest()[1].split())[:-1]]
    assert {"pyproject.toml", "README.md", "gql", "data/news"} <= set(sources)
    for source in sources:
        root = REPO / source
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        assert files, f"COPY {source}: nothing there"
        left_out = [p for p in files if excluded(p.relative_to(REPO).as_posix(), ignore_rules)]
        assert not left_out, f"COPY {source}, but .dockerignore leaves out {left_out[:3]}"


# ---- docs/deployment.md ----


def test_the_compose_example_has_one_writer_and_read_only_replicas() -> None:
    import yaml  # PyYAML: the test extras
    text = DEPLOYMENT.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert blocks, "docs/deployment.md lost its compose example"
    compose = yaml.safe_load(blocks[0])
    services = compose["services"]
    writers = [name for name, service in services.items() if any(
        str(volume).endswith(":/data") for volume in service.get("volumes", []))]
    readers = [name for name, service in services.items() if any(
        str(volume).endswith(":/data:ro") for volume in service.get("volumes", []))]
    assert len(writers) == 1 and readers, (writers, readers)
    for name in readers:
        assert "NEWSGRAPH_TOKEN" not in json.dumps(services[name]), "a read-only replica cannot take mutations"
        assert services[name]["environment"]["NEWSGRAPH_DATA"] == "/dev/null", "a replica must never load"
    assert "load" in json.dumps(services[writers[0]].get("command"))


# ---- the image, where Docker can build it ----


def _docker(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr}"
    return done


def _docker_or_skip(base: str) -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker command: the image is not built here (docs/deployment.md has the commands)")
    info = _docker("info", "--format", "{{.ServerVersion}}", check=False, timeout=30)
    if info.returncode != 0:
        reason = (info.stderr.strip().splitlines() or ["no answer"])[-1]
        pytest.skip(f"the Docker daemon is unreachable ({reason}): the image is not built here")
    if _docker("image", "inspect", base, check=False).returncode != 0:
        pulled = _docker("pull", base, check=False, timeout=600)
        if pulled.returncode != 0:
            reason = (pulled.stderr.strip().splitlines() or ["no answer"])[-1]
            pytest.skip(f"cannot pull the base image {base} ({reason}); set NEWSGRAPH_DOCKER_BASE to a mirror of it")


def _wait_for_json(url: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError):
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response.json()
        assert time.monotonic() < deadline, f"{url} did not answer in {timeout} s"
        time.sleep(0.5)


@contextlib.contextmanager
def _container(*args: str) -> Iterator[tuple[str, str]]:
    """`docker run -d` with port 8000 published on a free local port; yields (container id, base URL)."""
    started = _docker("run", "-d", "-p", "127.0.0.1::8000", *args)
    container = started.stdout.strip()
    try:
        address = _docker("port", container, "8000/tcp").stdout.split()[0]
        yield container, f"http://{address}"
    finally:
        logs = _docker("logs", container, check=False)
        print(logs.stdout[-3000:], logs.stderr[-3000:])
        _docker("rm", "-f", container, check=False)


def _events(url: str) -> int:
    response = httpx.post(url + "/graphql", json={"query": "{ stats { events } }"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["data"]["stats"]["events"]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_image_builds_runs_as_its_user_and_serves(tmp_path: Path) -> None:
    """Build the image; run it bare (the bundled archive at once), then the recipe: a loading job writing an
    archive of its own into a named volume (the demo store Docker filled it with is pruned), and a replica
    mounting that volume read-only."""
    base = os.environ.get("NEWSGRAPH_DOCKER_BASE") or BASE_IMAGE
    _docker_or_skip(base)
    # "your archive": the bundled one without its first day, so that the demo's events of that day must go
    archive = tmp_path / "news"
    shutil.copytree(REPO / "data" / "news", archive)
    shutil.rmtree(archive / "2015" / "09" / "1")
    expected = load_files(EventStore(tmp_path / "expected.json"), [archive]).loaded
    assert 0 < expected < BUNDLED_EVENTS
    tag = f"newsgraph-test:{uuid.uuid4().hex[:12]}"
    volume = f"newsgraph-test-{uuid.uuid4().hex[:12]}"
    try:
        _docker("build", "--build-arg", f"PYTHON_IMAGE={base}", "-t", tag, str(REPO), timeout=1500)
        size = int(_docker("image", "inspect", "--format", "{{.Size}}", tag).stdout)
        print(f"image {tag}: {size / 1e6:.0f} MB")
        config = json.loads(_docker("image", "inspect", "--format", "{{json .Config}}", tag).stdout)
        assert config["User"] not in ("", "root", "0") and "/data" in config["Volumes"]

        with _container("--health-interval", "1s", tag) as (container, url):
            health = _wait_for_json(url + "/healthz")
            assert health["status"] == "ok" and health["events"] == BUNDLED_EVENTS
            assert _events(url) == BUNDLED_EVENTS
            assert _docker("exec", container, "id", "-u").stdout.strip() != "0"
            deadline = time.monotonic() + 90
            while _docker("inspect", "--format", "{{.State.Health.Status}}", container).stdout.strip() != "healthy":
                assert time.monotonic() < deadline, "the HEALTHCHECK never passed"
                time.sleep(1)

        _docker("volume", "create", volume)
        loaded = _docker("run", "--rm", "-v", f"{volume}:/data", "-v", f"{archive}:/data/news:ro", tag,
                         "load", "--prune", "--json", "/data/news")
        summary = json.loads(loaded.stdout)
        assert summary["rejected"] == 0 and summary["removed"] == BUNDLED_EVENTS - expected, summary
        with _container("-v", f"{volume}:/data:ro", "-e", "NEWSGRAPH_DATA=/dev/null", tag) as (_, url):
            assert _wait_for_json(url + "/healthz")["status"] == "ok"
            assert _events(url) == expected
    finally:
        _docker("volume", "rm", "-f", volume, check=False)
        _docker("image", "rm", "-f", tag, check=False)
