"""What production installs is what production runs: every requirement is used by the code it ships."""

import re
from importlib.metadata import packages_distributions
from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)
# What the production image runs besides the Python code (Dockerfile, Compose, gunicorn.conf.py).
SHIPPED = ["Dockerfile", "docker-compose.yml", "gunicorn.conf.py"]


def requirement_names(path):
    names = []
    for line in (BASE / path).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.append(re.split(r"[=<>!~\[; ]", line)[0].lower().replace("_", "-"))
    return names


def shipped_text():
    skip = {".venv", "tests", "node_modules", ".git"}
    files = [path for path in BASE.rglob("*.py") if not skip & set(path.relative_to(BASE).parts)]
    return "\n".join(path.read_text() for path in files + [BASE / name for name in SHIPPED])


def test_every_production_requirement_is_used():
    modules = {}
    for module, distributions in packages_distributions().items():
        for distribution in distributions:
            modules.setdefault(distribution.lower().replace("_", "-"), set()).add(module)
    text = shipped_text()
    unused = [
        name
        for name in requirement_names("requirements.txt")
        if not any(re.search(rf"\b{re.escape(module)}\b", text) for module in modules.get(name, {name}))
    ]
    assert unused == []


def test_the_process_runner_is_for_make_run_only():
    assert "honcho" not in requirement_names("requirements.txt")
    assert "honcho" in requirement_names("requirements-dev.txt")


def locked(path):
    """{name: version} of a lock file, after checking that every entry carries its hashes."""
    text = (BASE / path).read_text()
    entries = re.findall(r"^([A-Za-z0-9._-]+)==(\S+)((?: \\\n\s+--hash=sha256:[0-9a-f]{64})+)", text, re.MULTILINE)
    pinned = re.findall(r"^[A-Za-z0-9._-]+==", text, re.MULTILINE)
    assert len(entries) == len(pinned), f"{path}: an entry without its hashes"
    return {name.lower().replace("_", "-"): version for name, version, _hashes in entries}


def pins(path):
    """{name: version} asked for in a requirements file, following -r includes."""
    found = {}
    for line in (BASE / path).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            found |= pins(line[3:].strip())
        elif "==" in line:
            name, version = line.split("==")
            name = name.split("[")[0]  # moto[server]: the lock names the package, without its extras
            found[name.strip().lower().replace("_", "-")] = version.strip()
    return found


def test_the_locks_hold_every_pin_at_its_version():
    """Fails when a pin was added or changed without `make lock`."""
    for wanted, lock in [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")]:
        versions = locked(lock)
        assert {name: versions.get(name) for name in pins(wanted)} == pins(wanted), f"run `make lock`: {lock}"


def test_production_and_development_install_the_same_versions_of_what_they_share():
    production, development = locked("requirements.lock"), locked("requirements-dev.lock")
    assert {name: development.get(name) for name in production} == production


def test_every_install_is_from_a_lock_with_hashes():
    dockerfile = (BASE / "Dockerfile").read_text()
    assert "pip install --no-cache-dir --require-hashes -r requirements.lock" in dockerfile
    assert "requirements.txt" not in dockerfile
    makefile = (BASE / "Makefile").read_text()
    installs = re.findall(r"pip install[^\n]*", makefile)
    assert installs and all("--require-hashes -r requirements" in line for line in installs if " -r r" in line)
    # The one install that reads no lock file by name takes pip's own entry out of the dev lock.
    bootstraps = [line for line in makefile.splitlines() if "-r /dev/stdin" in line]
    assert len(bootstraps) == 1
    assert "/^pip==/" in bootstraps[0] and "requirements-dev.lock |" in bootstraps[0]
    assert "--require-hashes -r /dev/stdin" in bootstraps[0]
