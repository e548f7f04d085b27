# The board acts on registered customers: the claims tests' registration fixture.
from tests.claims.conftest import register  # noqa: F401
