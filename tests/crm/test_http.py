import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from crm.http import pk_path


@pytest.mark.parametrize("name", ["crm:customer_detail", "board:reassign", "board:set_grade", "deals:detail"])
@pytest.mark.parametrize("pk", [1, 7, 2_147_483_647, 31337])
def test_pk_path_is_reverse(name, pk):
    assert pk_path(name, pk) == reverse(name, args=[pk])


def test_pk_path_follows_the_script_prefix():
    """Served under a sub-path (SCRIPT_NAME), links carry it, as reverse() gives them."""
    try:
        set_script_prefix("/crm/")
        assert pk_path("crm:customer_detail", 5) == reverse("crm:customer_detail", args=[5])
        assert pk_path("crm:customer_detail", 5).startswith("/crm/")
    finally:
        clear_script_prefix()
    assert pk_path("crm:customer_detail", 5) == reverse("crm:customer_detail", args=[5])
