"""Config [vies]: the VIES REST base URL and timeout, checked like every other key."""

import pytest

from quotemaild.config import config_from_dict
from quotemaild.errors import ConfigError

BASE = {"mail": {"domain": "proposals.example.com"}, "security": {"secret": "s" * 20}}


def test_vies_defaults_to_the_eu_service():
    cfg = config_from_dict(BASE)
    assert cfg.vies.url == "https://ec.europa.eu/taxation_customs/vies/rest-api"
    assert cfg.vies.timeout == 10.0


def test_vies_url_and_timeout_are_configurable():
    cfg = config_from_dict({**BASE, "vies": {"url": "http://127.0.0.1:8080/rest-api", "timeout": 2}})
    assert (cfg.vies.url, cfg.vies.timeout) == ("http://127.0.0.1:8080/rest-api", 2)


@pytest.mark.parametrize("vies, key", [
    ({"url": "ftp://x"}, "vies.url"),
    ({"timeout": 0}, "vies.timeout"),
    ({"proxy": "x"}, "vies.proxy"),
])
def test_bad_vies_values_name_the_key(vies, key):
    with pytest.raises(ConfigError) as info:
        config_from_dict({**BASE, "vies": vies})
    assert info.value.key == key
