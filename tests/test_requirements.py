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
