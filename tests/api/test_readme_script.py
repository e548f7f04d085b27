"""The README's Python script (section "API") registers a customer, logs a visit and reads the day through a live
server with a token, as written there."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from accounts.services import api_token_create
from crm.models import Customer
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)  # the live server's thread sees the rep and the token


def readme_script():
    text = (Path(settings.BASE_DIR) / "README.md").read_text()
    section = text[text.index("## API (crm/api") :]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_readme_script_works(live_server, rep):
    _token, key = api_token_create(actor=rep, name="README")
    run = subprocess.run(
        [sys.executable, "-c", readme_script()],
        env={**os.environ, "CRM_URL": live_server.url, "CRM_TOKEN": key},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    customer = Customer.objects.get(name="青岛海川精密机械有限公司")
    assert customer.owner == rep and Visit.objects.filter(customer=customer, author=rep).exists()
    assert "青岛海川精密机械有限公司" in run.stdout, "the day lists the new customer's follow-up"
