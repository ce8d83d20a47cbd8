"""The password policy: a minimum length, no whitespace-only password, not a common password,
not the account's own e-mail or name; on sign-up, password change, reset and the command line.

The hole it closes: sign-up accepted ``password``, ``12345678`` and eight spaces.
"""

import httpx
import pytest

from hub.auth.policy import check_password
from hub.errors import Invalid

SIGNUP = "/api/v1/auth/signup"


def _signup(password: str, email: str = "ana.martin@example.org", name: str = "Ana Martin"):
    return {"email": email, "password": password, "name": name, "role": "maker"}


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "12345678",
        "        ",
        "\t\t\t\t\t\t\t\t",
        "azertyuiop",  # the French keyboard's "qwerty"
        "motdepasse",
        "Password1",
        "123456789",
    ],
)
async def test_signup_refuses_common_and_blank_passwords(
    client: httpx.AsyncClient, password: str
) -> None:
    r = await client.post(SIGNUP, json=_signup(password))
    assert r.status_code == 422, r.text
    assert r.json()["type"] == "invalid"
    # Nothing was created: the same e-mail signs up with a good password afterwards.
    ok = await client.post(SIGNUP, json=_signup("correct horse battery"))
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize(
    "password",
    ["ana.martin@example.org", "ana.martin2020", "AnaMartin!!", "Ana Martin", "ANA-MARTIN-1"],
)
async def test_signup_refuses_the_accounts_own_email_or_name(
    client: httpx.AsyncClient, password: str
) -> None:
    r = await client.post(SIGNUP, json=_signup(password))
    assert r.status_code == 422, r.text
    assert "name" in r.json()["detail"] and "e-mail" in r.json()["detail"]


async def test_policy_messages_are_in_french(client: httpx.AsyncClient) -> None:
    headers = {"Accept-Language": "fr"}
    common = await client.post(SIGNUP, json=_signup("password"), headers=headers)
    blank = await client.post(SIGNUP, json=_signup("        "), headers=headers)
    own = await client.post(SIGNUP, json=_signup("ana.martin2020"), headers=headers)
    assert "courant" in common.json()["detail"]
    assert "espaces" in blank.json()["detail"]
    assert "nom" in own.json()["detail"]


@pytest.mark.parametrize(
    "password",
    ["correct horse battery", "long enough pw", "Grenoble38!", "visière-fissurée-42"],
)
def test_reasonable_passwords_pass(password: str) -> None:
    check_password(password, email="ana.martin@example.org", name="Ana Martin")


def test_short_names_do_not_forbid_ordinary_words() -> None:
    """A name of two or three letters is not looked for inside the password ("Al", "banal")."""
    check_password("banal-storm-88", email="al@example.org", name="Al")


@pytest.mark.parametrize("password", ["short", "", "sept777"])
def test_too_short(password: str) -> None:
    with pytest.raises(Invalid, match="8 characters"):
        check_password(password, email="x@example.org", name="X")
