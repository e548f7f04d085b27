"""The API's OpenAPI schema: valid OpenAPI 3, and the committed file (crm/api/openapi.yaml) is the API as it is.
When the API changes, `make schema` writes the file again; commit it with the change."""

import io
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from openapi_spec_validator import validate

COMMITTED = Path(settings.BASE_DIR) / "crm" / "api" / "openapi.yaml"


def generated():
    with translation.override("en"):
        return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture(scope="module")
def schema():
    # Through YAML and back: the same types as the committed file (lazy strings, ordered dicts, dates).
    return yaml.safe_load(OpenApiYamlRenderer().render(generated(), renderer_context={}))


def test_the_schema_is_valid_openapi(schema):
    validate(schema)


def test_the_committed_schema_is_the_api(schema):
    committed = yaml.safe_load(COMMITTED.read_text())
    assert committed == schema, "the API changed: run `make schema` and commit crm/api/openapi.yaml"


def test_every_operation_documents_its_errors_as_problems(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code in ("400", "401", "403", "404", "429"):
                content = operation["responses"][code]["content"]
                assert "application/problem+json" in content, f"{method.upper()} {path} {code}"


def test_the_documentation_page_is_served_from_our_files(rep_client):
    page = rep_client.get("/api/v1/docs/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "<style" not in text and "cdn" not in text.lower() and "/static/drf_spectacular_sidecar/" in text
    script = rep_client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()


def test_a_deploy_collects_swagger_ui_and_not_redoc(tmp_path, settings):
    """The documentation page's files are collected; ReDoc, which the sidecar also ships, is not."""
    settings.STATIC_ROOT = tmp_path
    out = io.StringIO()
    call_command("collectstatic", dry_run=True, interactive=False, verbosity=2, stdout=out)
    collected = out.getvalue()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in collected
    assert "drf_spectacular_sidecar/redoc" not in collected
