"""Every public name of the official poke 0.2.1, with the same signatures and types."""

from __future__ import annotations

import subprocess
import sys

import poke
import pytest

OFFICIAL_NAMES = [
    "__version__",
    "DEFAULT_BASE_URL",
    "Poke",
    "PokeError",
    "AuthenticationError",
    "ForbiddenError",
    "RateLimitError",
]


@pytest.mark.parametrize("name", OFFICIAL_NAMES)
def test_official_names_exist(name):
    assert hasattr(poke, name)


def test_constants():
    assert poke.DEFAULT_BASE_URL == "https://poke.com/api/v1"
    assert isinstance(poke.__version__, str) and poke.__version__.count(".") == 2


def test_exception_hierarchy():
    for cls in (poke.AuthenticationError, poke.ForbiddenError, poke.RateLimitError):
        assert issubclass(cls, poke.PokeError)
    assert issubclass(poke.PokeError, Exception)
    for cls in (
        poke.APIConnectionError,
        poke.APITimeoutError,
        poke.BadRequestError,
        poke.NotFoundError,
        poke.ConflictError,
        poke.UnprocessableEntityError,
        poke.InternalServerError,
    ):
        assert issubclass(cls, poke.PokeError), cls


def test_poke_error_constructor_matches_official():
    e = poke.PokeError("boom")
    assert e.args == ("boom",) and e.status is None and str(e) == "boom"
    e = poke.RateLimitError("slow", 429)
    assert e.status == 429 and e.status_code == 429
    assert repr(e) == "RateLimitError('slow')"
    assert e.__dict__ == {"status": 429}


def test_exceptions_pickle_with_status():
    import copy
    import pickle

    e = poke.AuthenticationError("bad key", 401)
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is poke.AuthenticationError
    assert again.status == 401 and str(again) == "bad key"
    assert copy.copy(e).status == 401


def test_import_does_not_import_mcp():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, poke; print('poke.mcp' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_pathlib_is_resolved_by_the_sessions_client_not_by_import_or_first_download():
    # `import poke` stays light; Pokee() resolves the `pathlib.Path` its file methods return,
    # so that import (milliseconds) is not part of the first download.
    # (A site hook may import pathlib before poke: then only the last check applies.)
    code = (
        "import sys\n"
        "before = 'pathlib' in sys.modules\n"
        "import poke\n"
        "print(before or 'pathlib' not in sys.modules)\n"
        "poke.Pokee(api_key='k', base_url='http://127.0.0.1:9')\n"
        "print('pathlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_constructor_is_keyword_only():
    with pytest.raises(TypeError):
        poke.Poke("key")  # type: ignore[misc]


def test_private_helpers_exist(monkeypatch):
    monkeypatch.setenv("POKE_API_KEY", "from-env")
    assert poke._resolve_api_key(None) == "from-env"
    assert poke._resolve_api_key("arg") == "arg"
    assert poke._resolve_base_url("http://x/api//") == "http://x/api"
    assert poke._load_credentials_file() == {}


def test_py_typed_and_stub_shipped():
    import pathlib

    root = pathlib.Path(poke.__file__).parent
    assert (root / "py.typed").exists()
    assert (root / "_poke.pyi").exists()
