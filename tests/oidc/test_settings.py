"""The identity provider's settings: none where a region has no provider; a provider half set up is
refused at once, with what is missing (never a sign-in that passes without two factors)."""

from __future__ import annotations

import pytest

from screening.errors import BadInput
from screening.settings import Settings

WHOLE = {"SCREENING_OIDC_DISCOVERY": "https://idp.example.test/.well-known/openid-configuration",
         "SCREENING_OIDC_CLIENT_ID": "screening", "SCREENING_OIDC_CLIENT_SECRET": "s3cret-of-the-test",
         "SCREENING_OIDC_TWO_FACTOR_ACR": "http://id.example.test/loa3, http://id.example.test/loa4",
         "SCREENING_BASE_URL": "https://screening.example.test/"}


def test_no_discovery_url_means_no_identity_provider():
    assert Settings({}).oidc is None


def test_the_settings_are_read_with_the_callback_under_the_base_url():
    config = Settings(WHOLE).oidc
    assert config.redirect_uri == "https://screening.example.test/signin/oidc/callback"
    assert config.two_factor_acr == {"http://id.example.test/loa3", "http://id.example.test/loa4"}
    assert config.two_factor_amr == frozenset() and config.claim is None and config.scope == "openid"
    assert "s3cret" not in repr(config)


@pytest.mark.parametrize("missing", ["SCREENING_OIDC_CLIENT_ID", "SCREENING_OIDC_CLIENT_SECRET",
                                     "SCREENING_OIDC_TWO_FACTOR_ACR", "SCREENING_BASE_URL"])
def test_a_provider_half_set_up_is_refused(missing):
    with pytest.raises(BadInput):
        _ = Settings({name: value for name, value in WHOLE.items() if name != missing}).oidc


def test_the_amr_mapping_alone_is_enough_and_the_secret_may_be_in_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    secret.chmod(0o600)
    env = {**WHOLE, "SCREENING_OIDC_TWO_FACTOR_ACR": "", "SCREENING_OIDC_TWO_FACTOR_AMR": "mfa,otp,hwk",
           "SCREENING_OIDC_CLIENT_SECRET": "", "SCREENING_OIDC_CLIENT_SECRET_FILE": str(secret)}
    config = Settings(env).oidc
    assert config.two_factor_amr == {"mfa", "otp", "hwk"} and config.client_secret == "from-a-file"
    secret.chmod(0o644)
    with pytest.raises(BadInput):
        _ = Settings(env).oidc
