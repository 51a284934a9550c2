"""An OpenID Connect provider for the single sign-on tests: django-oauth-toolkit (a well-kept
provider implementation), run by the tests in its own process with its own settings and
database, as a team's identity provider would be. `tests/e2e/test_single_sign_on.py` starts
it (`serve.py`)."""
