"""Driving pages with the keyboard alone: Tab to an element, check that focus shows, type, press Enter or Space.

Nothing here clicks. `tab_to` moves focus the way a person does (Tab, or Shift+Tab when `back`), from wherever
focus is now, and fails with the path focus took if the element is never reached.
"""
from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.factories import PASSWORD

FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const name = (el.getAttribute('aria-label') || el.labels?.[0]?.textContent || el.textContent || el.name || '')
        .trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${name}"`;
}"""


def is_focused(target: Locator) -> bool:
    return target.evaluate("el => el === document.activeElement")


def tab_to(page: Page, target: Locator, *, back: bool = False, limit: int = 80) -> None:
    """Press Tab (Shift+Tab when `back`) until `target` has focus, at most `limit` times."""
    target.wait_for(state="attached")
    path = []
    for _ in range(limit):
        if is_focused(target):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
        path.append(page.evaluate(FOCUSED))
    if not is_focused(target):
        raise AssertionError(f"{limit} presses of {'Shift+' if back else ''}Tab never reached {target}; "
                             f"focus went through {path}")


def focus_ring(page: Page) -> dict:
    """The focused element and how its focus shows: its own outline, or (for a visually hidden input) its label's."""
    return page.evaluate("""() => {
        const el = document.activeElement, shown = (e) => {
            const s = getComputedStyle(e);
            return {outline: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0, shadow: s.boxShadow};
        };
        const own = shown(el), label = el.labels?.[0];
        return {tag: el.tagName, own, label: label ? shown(label) : null, focusVisible: el.matches(':focus-visible')};
    }""")


def assert_focus_visible(page: Page) -> None:
    """The focused element matches :focus-visible and draws a ring: an outline (its own or its label's) or a shadow."""
    ring = focus_ring(page)
    visible = [r for r in (ring["own"], ring["label"]) if r]
    assert ring["focusVisible"], f"focus is not :focus-visible on {page.evaluate(FOCUSED)}: {ring}"
    assert any((r["outline"] != "none" and r["width"] > 0) or r["shadow"] not in ("none", "") for r in visible), \
        f"no visible focus on {page.evaluate(FOCUSED)}: {ring}"


def tab_and_type(page: Page, field: Locator, text: str, *, check_focus: bool = False) -> None:
    tab_to(page, field)
    if check_focus:
        assert_focus_visible(page)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)


def tab_and_press(page: Page, target: Locator, key: str = "Enter", *, check_focus: bool = True,
                  navigates: bool = False) -> None:
    """Tab to `target`, check its focus shows, press `key` (waiting for the page it opens when `navigates`)."""
    tab_to(page, target)
    if check_focus:
        assert_focus_visible(page)
    if navigates:
        with page.expect_navigation():
            page.keyboard.press(key)
    else:
        page.keyboard.press(key)


def choose(page: Page, select: Locator, label: str, limit: int = 30) -> None:
    """Tab to a <select> and move through its options with the arrow keys until `label` is chosen."""
    tab_to(page, select)
    assert_focus_visible(page)
    page.keyboard.press("Home")
    for _ in range(limit):
        if select.evaluate("el => el.selectedOptions[0]?.textContent.trim()") == label:
            return
        page.keyboard.press("ArrowDown")
    expect(select.locator("option:checked")).to_have_text(label)


def sign_in_by_keyboard(page: Page, email: str, password: str = PASSWORD, secret: bytes | None = None) -> None:
    """Sign in from the home page with the keyboard alone; staff (`secret`) type the code of their authenticator."""
    from tests.browser.signin import _codes

    page.goto("/")
    tab_and_press(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in"), navigates=True)
    tab_and_type(page, page.get_by_label("E-mail address"), email, check_focus=True)
    tab_and_type(page, page.get_by_label("Password"), password)
    tab_and_press(page, page.get_by_role("button", name="Sign in"), navigates=True)
    if secret is not None and "/signin/code" in page.url:
        for code in _codes(secret):
            tab_and_type(page, page.get_by_label("Code"), code, check_focus=True)
            tab_and_press(page, page.get_by_role("button", name="Continue"), navigates=True)
            if "/signin/code" not in page.url:
                break
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
