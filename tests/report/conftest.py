from __future__ import annotations

from pathlib import Path

import pytest

from tests.analytics.demo import demo_warehouse


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_warehouse(tmp_path_factory.mktemp("demo"))
