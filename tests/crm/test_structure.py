"""The layout the README describes: every module imports on its own, every app registers its own models and
its tasks are found by Celery's autodiscovery, and the import contracts hold."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ["accounts", "crm", "visits", "claims"]

# Each module is imported in a child forked from one interpreter that has only run django.setup(), so no
# module can lean on another having been imported first (an import cycle shows up as an ImportError).
IMPORT_EACH = """
import json, os, pkgutil, sys, traceback
import django
django.setup()
failures = {}
names = []
for package in %(packages)r:
    names.append(package)
    for info in pkgutil.walk_packages([package], prefix=package + "."):
        names.append(info.name)
for name in names:
    pid = os.fork()
    if pid == 0:
        try:
            __import__(name)
        except BaseException:
            sys.stderr.write(traceback.format_exc())
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status:
        failures[name] = status
print(json.dumps({"imported": len(names), "failures": sorted(failures)}))
"""

TASKS = """
import json
import os
import django
django.setup()
from crm.celery import app
app.loader.import_default_modules()
print(json.dumps(sorted(name for name in app.tasks if not name.startswith("celery."))))
"""


def run_python(code):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings_test"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def test_every_module_imports_on_its_own():
    outcome, errors = run_python(IMPORT_EACH % {"packages": APP_PACKAGES})
    assert outcome["imported"] > 150
    assert outcome["failures"] == [], errors


def test_every_model_is_registered_by_its_own_apps_models_module():
    """Not by being imported into another app's models.py (as complaints, imports and the board once were)."""
    strays = [
        f"{model.__module__}.{model.__name__} registered with {model._meta.app_label}"
        for model in apps.get_models()
        if model.__module__ != f"{model._meta.app_config.name}.models"
    ]
    assert strays == []


def test_each_domain_is_an_app_of_its_own():
    assert {label: apps.get_app_config(label).name for label in ["complaints", "imports", "board"]} == {
        "complaints": "crm.complaints",
        "imports": "claims.imports",
        "board": "claims.board",
    }


def test_celery_autodiscovery_finds_every_apps_tasks():
    """Found from INSTALLED_APPS alone (a fresh interpreter: no test has imported a tasks module)."""
    found, _ = run_python(TASKS)
    assert set(found) == {
        "crm.tasks.heartbeat",
        "visits.tasks.followup_sweep_task",
        "visits.tasks.daily_digest_task",
        "claims.tasks.ownership_sweep_task",
        "claims.tasks.stranded_customers_task",
        "crm.complaints.tasks.complaint_deadline_task",
        "crm.evidence.tasks.evidence_sweep_task",
        "crm.evidence.tasks.evidence_pending_task",
        "crm.evidence.tasks.attachment_process_task",
        "crm.webhooks.tasks.deliver_task",
        "crm.webhooks.tasks.webhook_retry_sweep_task",
        "claims.board.tasks.weekly_digest_task",
        "claims.board.tasks.board_figures_task",
        "crm.deals.tasks.purchases_age_out_task",
        "claims.imports.tasks.import_check_task",
        "claims.imports.tasks.import_run_task",
    }
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= set(found)


def test_the_import_contracts_hold():
    """`make lint` runs lint-imports too; here it guards the layering from any test run."""
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is in requirements-dev.txt"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module", ["crm.models", "claims.models", "crm.tasks", "claims.tasks"])
def test_no_app_re_exports_another_apps_models_or_tasks(module):
    """The old trick: the end of crm/models.py and crm/tasks.py imported the sub-domains to register them."""
    source = (ROOT / (module.replace(".", "/") + ".py")).read_text()
    assert "noqa: E402" not in source
