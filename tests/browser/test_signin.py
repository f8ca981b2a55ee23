"""The sign-in page in Chromium: accessible (axe, WCAG 2.1 AA), usable with the keyboard alone with the
focus visible, a failed sign-in said on the page and tied to the form, a sign-in with a password and a
TOTP code to the start page, under the server's Content-Security-Policy with nothing refused by it."""

from __future__ import annotations

import pytest

from tests.browser.axe import assert_accessible, violations
from tests.browser.conftest import PASSWORD, WALKER, enter, screenshot

WRONG = "fel-lösenord-som-är-långt"


def focused(page) -> dict:
    """The focused element: its id, tag, and its computed outline."""
    return page.evaluate("""() => {
        const element = document.activeElement, style = getComputedStyle(element);
        return {id: element.id, tag: element.tagName.toLowerCase(), type: element.type || "",
                outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
    }""")


def tab_to(page, field_id: str, most: int = 6) -> list[dict]:
    """Tab until the field with `field_id` has the focus; every stop on the way, with its outline."""
    stops = []
    for _ in range(most):
        page.keyboard.press("Tab")
        stops.append(focused(page))
        if stops[-1]["id"] == field_id:
            return stops
    raise AssertionError(f"Tab never reached #{field_id}: {stops}")


def test_the_sign_in_page_is_accessible_and_kept_by_its_csp(tab, axe_source):
    response = tab.page.goto("/signin")
    assert response.status == 200
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assert tab.page.locator("h1").inner_text() == "Logga in"
    assert_accessible(tab.page, axe_source)
    screenshot(tab.page, "signin")


@pytest.mark.parametrize("locale", ["en-GB"])
def test_a_browser_asking_for_english_gets_the_page_in_english(tab, axe_source):
    page = tab.page
    page.goto("/signin")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Sign in" and page.get_by_label("Password").is_visible()
    assert_accessible(page, axe_source)


def test_with_the_keyboard_alone_a_wrong_password_is_said_on_the_page_and_tied_to_the_form(tab, axe_source):
    page = tab.page
    page.goto("/signin")
    stops = tab_to(page, "user")
    assert [stop["tag"] for stop in stops] == ["a", "input"]  # the skip link first, then the form
    for stop in stops:
        assert stop["outline"] != "none" and stop["width"] >= 2, stop  # the focus is visible
    page.keyboard.type(WALKER)
    assert tab_to(page, "password", 1)[-1]["outline"] != "none"
    page.keyboard.type(WRONG)
    enter(page, page.locator("#password"), "/signin")
    error = page.locator("#signin-error")
    assert "Inloggningen misslyckades" in error.inner_text()
    assert error.get_attribute("role") == "alert"
    assert "signin-error" in page.locator("form.form").get_attribute("aria-describedby").split()
    assert page.locator("#user").input_value() == WALKER and page.locator("#password").input_value() == ""
    assert_accessible(page, axe_source)


def test_a_password_and_a_totp_code_sign_in_to_the_roles_start_page(tab, server, axe_source):
    page = tab.page
    page.goto("/signin")
    page.locator("#user").fill(WALKER)
    page.locator("#password").fill(PASSWORD)
    page.locator("#code").fill(server.accounts[WALKER].code())
    enter(page, page.locator("#code"), "/worklist")  # the health centre's first page
    assert page.locator("h1").inner_text() == "Arbetslista"
    assert "Yusuf Haidari" in page.locator("header .who").inner_text()
    assert_accessible(page, axe_source)


def test_the_harness_sees_an_inaccessible_page_and_a_csp_violation(tab, axe_source):
    """The checks themselves, once against a page broken on purpose in the browser: a field whose label
    is gone fails axe, and a script the CSP refuses is seen on the console."""
    page = tab.page
    page.goto("/signin")
    page.evaluate("() => document.querySelector('label[for=user]').remove()")
    assert any(violation["id"] == "label" for violation in violations(page, axe_source))
    try:
        assert_accessible(page, axe_source)
    except AssertionError as failed:
        assert "label (critical) at #user" in str(failed)
    else:
        raise AssertionError("assert_accessible passed a field without a label")
    page.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'document.title = "ran"';
        document.body.append(script);
    }""")
    page.wait_for_timeout(200)
    assert page.title() != "ran" and tab.csp_violations(), tab.console
    tab.console.clear()
