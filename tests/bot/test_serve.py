"""bot.serve, the `rasa run` launcher: secrets and exposure come from the environment, never argv."""
import argparse

import pytest

from bot import serve
from tests.conftest import clear_service_caches


@pytest.fixture
def environment(monkeypatch):
    monkeypatch.setenv("RASA_AUTH_TOKEN", "token-from-env")
    monkeypatch.setenv("ANXIN_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.delenv("RASA_INTERFACE", raising=False)
    clear_service_caches()
    yield monkeypatch
    clear_service_caches()


@pytest.mark.parametrize("argument", ["--auth-token=abc", "--cors", "-i", "--interface=0.0.0.0", "-tabc", "-t",
                                      "--auth=abc", "--cor", "--jwt-secret=x", "--ssl-password", "-i0.0.0.0"])
def test_secrets_and_exposure_on_the_command_line_are_refused(argument):
    with pytest.raises(SystemExit):
        serve.main(["--enable-api", argument])


def test_the_token_interface_and_origins_come_from_the_environment(environment):
    args = serve.apply_settings(argparse.Namespace(enable_api=True, auth_token=None, interface="0.0.0.0", cors="*"))
    assert args.auth_token == "token-from-env"
    assert args.interface == "127.0.0.1"  # loopback unless RASA_INTERFACE says otherwise
    assert args.cors == ["https://a.example", "https://b.example"]


def test_an_api_without_a_token_does_not_start(environment):
    environment.setenv("RASA_AUTH_TOKEN", "")  # set but empty (deleted, .env would fill it in)
    clear_service_caches()
    with pytest.raises(serve.NoAuthToken):
        serve.apply_settings(argparse.Namespace(enable_api=True, auth_token=None, interface=None, cors=None))


@pytest.mark.parametrize("argument", ["--model", "models/anxin.tar.gz", "--port", "5005", "--enable-api",
                                      "--credentials", "--endpoints", "-p", "-m", "--"])
def test_ordinary_options_are_not_mistaken_for_secrets(argument):
    assert not serve.names_a_setting_from_the_environment(argument)
