import pytest


@pytest.fixture
def specs(specs_copy):
    """A writable copy of the demo job_specs/ (the name these tests read best with)."""
    return specs_copy
