"""End-to-end tests of the secretariat's web page in a real headless Chromium.

Run by Tests/browser/run (called from scripts/test), which starts `accord serve` with the demo loaded and
passes the server URL and tokens for each role in the environment.
"""
import os
import re
import time

import pytest
import requests
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

URL = os.environ["ACCORD_URL"]
TOKENS = {role: os.environ[f"ACCORD_TOKEN_{role.upper()}"] for role in ["secretariat", "observer", "delegate"]}
FORCE = "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b01"
SCREENSHOTS = os.environ.get("ACCORD_SCREENSHOTS")


def make_browser(width=1400, height=1000):
    options = Options()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"]:
        options.add_argument(argument)
    service = webdriver.ChromeService(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    return webdriver.Chrome(options=options, service=service)


@pytest.fixture
def browser():
    driver = make_browser()
    yield driver
    driver.quit()


def sign_in(driver, role):
    driver.get(URL + "/signin")
    driver.find_element(By.ID, "token").send_keys(TOKENS[role])
    submit(driver, "form.signin button[type=submit]")
    assert driver.find_elements(By.CSS_SELECTOR, ".account strong"), "sign-in failed"


def submit(driver, selector):
    """Clicks a submit button and waits for the next page to load."""
    # A marker on the old document: gone once the browser has navigated to the next page.
    driver.execute_script("window.__beforeSubmit = true;")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script("return window.__beforeSubmit === undefined && document.readyState === 'complete';"))


def api(method, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = "Bearer " + token
    return requests.request(method, URL + path, headers=headers, timeout=10, **kwargs)


def head_position():
    return api("GET", "/v1/events?limit=1").json()["head"]


def matrix_row(driver, name):
    # Read in one script: a live update may replace the rows between two WebDriver calls.
    text = driver.execute_script("""
        for (const row of document.querySelectorAll("section.matrix tbody tr")) {
            const th = row.querySelector("th");
            if (th && th.textContent.trim().startsWith(arguments[0])) { return row.innerText; }
        }
        return null;""", name)
    if text is None:
        raise AssertionError(f"no matrix row for {name}")
    return text


def rule_text(driver, rule):
    return driver.find_element(By.ID, f"rule-{rule}").find_element(By.XPATH, "..").text


def shot(driver, name):
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(driver.get_window_size()["width"], min(height, 6000))
        driver.save_screenshot(os.path.join(SCREENSHOTS, name))


def test_process_list_shows_each_rule_and_headline(browser):
    browser.get(URL + "/")
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "Reassurance Force for Ukraine" in text
    assert "21,500 of 25,000 troops pledged" in text or "troops pledged" in text
    assert "Not yet" in text and "Satisfied" in text
    shot(browser, "processes.png")


def test_secretariat_records_a_step_and_sees_the_matrix_and_rules_change(browser):
    sign_in(browser, "secretariat")
    browser.get(f"{URL}/processes/{FORCE}")
    assert "Interest expressed" in matrix_row(browser, "Germany")
    Select(browser.find_element(By.ID, "step-party")).select_by_value("DE")
    Select(browser.find_element(By.ID, "step-stage")).select_by_value("government-decision")
    browser.find_element(By.ID, "step-source").send_keys("Kabinettsbeschluss")
    submit(browser, "form[action$='/steps'] button[type=submit]")
    assert "Recorded: DE" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert "Government decision" in matrix_row(browser, "Germany")
    before = rule_text(browser, "component-leads")
    assert "no lead nation for air" in before
    # A pledge with the air lead completes the components and moves the troop figure.
    Select(browser.find_element(By.ID, "step-party")).select_by_value("DE")
    Select(browser.find_element(By.ID, "step-stage")).select_by_value("pledged")
    browser.find_element(By.ID, "troops").send_keys("4000")
    for component in ["land", "air"]:
        browser.find_element(By.ID, f"c-{component}").click()
    browser.find_element(By.ID, "l-air").click()
    submit(browser, "form[action$='/steps'] button[type=submit]")
    assert "Satisfied" in rule_text(browser, "component-leads")
    assert "25,500 of 25,000 troops pledged" in rule_text(browser, "troops-target")
    shot(browser, "process.png")


def test_validation_errors_appear_next_to_the_field_in_plain_words(browser):
    sign_in(browser, "secretariat")
    browser.get(f"{URL}/processes/{FORCE}")
    before = head_position()
    # Italy only expressed interest: a deployment now breaks the ladder. Submit without the script's filtering.
    Select(browser.find_element(By.ID, "step-party")).select_by_value("IT")
    browser.execute_script("""
        var s = document.getElementById('step-stage');
        var o = document.createElement('option'); o.value = 'ready'; o.text = 'Ready'; s.appendChild(o);
        s.value = 'ready';""")
    submit(browser, "form[action$='/steps'] button[type=submit]")
    error = browser.find_element(By.ID, "step-stage-error")
    assert re.search(r"Italy cannot record “Ready” after “Interest expressed”", error.text), error.text
    assert head_position() == before


def test_a_second_browser_updates_live_without_reloading(browser):
    watcher = make_browser()
    try:
        watcher.get(f"{URL}/processes/{FORCE}")
        watcher.execute_script("window.__notReloaded = true;")
        assert "no step yet" in matrix_row(watcher, "Spain")
        response = api("POST", f"/v1/processes/{FORCE}/steps", TOKENS["secretariat"],
                       json={"party": "ES", "stage": "interest", "source": "Moncloa press release"})
        assert response.status_code == 201, response.text
        WebDriverWait(watcher, 15).until(lambda d: "Interest expressed" in matrix_row(d, "Spain"))
        assert watcher.execute_script("return window.__notReloaded === true;")
        assert "Updated at" in watcher.find_element(By.ID, "live-status").text
        # A retraction is recorded too: the row goes back without a reload.
        entry = response.json()["recorded"][0]["entry"]
        retracted = api("POST", f"/v1/processes/{FORCE}/retractions", TOKENS["secretariat"],
                        json={"entry": entry, "reason": "Recorded for the wrong country"})
        assert retracted.status_code == 201, retracted.text
        WebDriverWait(watcher, 15).until(lambda d: "no step yet" in matrix_row(d, "Spain"))
        assert watcher.execute_script("return window.__notReloaded === true;")
    finally:
        watcher.quit()


def test_an_observer_finds_no_forms(browser):
    sign_in(browser, "observer")
    browser.get(f"{URL}/processes/{FORCE}")
    forms = [f.get_attribute("action") for f in browser.find_elements(By.CSS_SELECTOR, "form[method=post]")]
    assert forms == [URL + "/signout"], forms
    assert not browser.find_elements(By.CSS_SELECTOR, "section.record")


def test_a_delegate_records_only_for_its_own_nation(browser):
    sign_in(browser, "delegate")
    browser.get(f"{URL}/processes/{FORCE}")
    options = [o.get_attribute("value") for o in Select(browser.find_element(By.ID, "step-party")).options]
    assert options == ["DE"]
    # A hand-made form for France is refused and records nothing.
    before = head_position()
    csrf = browser.find_element(By.CSS_SELECTOR, "form[action$='/steps'] input[name=_csrf]").get_attribute("value")
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    response = requests.post(f"{URL}/processes/{FORCE}/steps", cookies=cookies, allow_redirects=False, timeout=10,
                             data={"_csrf": csrf, "party": "FR", "stage": "ready"})
    assert response.status_code in (403, 422)
    assert "may not" in response.text
    assert head_position() == before


def test_a_form_without_the_csrf_token_is_refused(browser):
    sign_in(browser, "secretariat")
    browser.get(f"{URL}/processes/{FORCE}")
    before = head_position()
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    response = requests.post(f"{URL}/processes/{FORCE}/steps", cookies=cookies, allow_redirects=False, timeout=10,
                             data={"party": "PT", "stage": "interest"})
    assert response.status_code == 403
    # The session cookie alone cannot write through the JSON API either.
    response = requests.post(f"{URL}/v1/processes/{FORCE}/steps", cookies=cookies, timeout=10, json={"party": "PT", "stage": "interest"})
    assert response.status_code == 401
    assert head_position() == before


def test_as_of_shows_the_page_as_it_was(browser):
    browser.get(f"{URL}/processes/{FORCE}?asOf=2025-04-01")
    assert "no step yet" in matrix_row(browser, "Poland")
    assert "This view does not update live" in browser.page_source
    browser.get(f"{URL}/processes/{FORCE}")
    assert "Pledged" in matrix_row(browser, "Poland")


def test_the_party_page_shows_one_nation_across_processes(browser):
    browser.get(URL + "/parties/DE")
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "Germany" in text and "NATO" in text and "Reassurance Force for Ukraine" in text
    shot(browser, "party.png")


def test_tablet_width_has_no_page_level_horizontal_scroll():
    driver = make_browser(width=800, height=1100)
    try:
        driver.get(f"{URL}/processes/{FORCE}")
        overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth;")
        assert overflow <= 0, f"page is {overflow}px wider than a tablet"
        axe = Axe(driver)
        axe.inject()
        serious = [v for v in axe.run()["violations"] if v.get("impact") in ("serious", "critical")]
        assert not serious, [(v["id"], v["help"]) for v in serious]
    finally:
        driver.quit()


def test_keyboard_reaches_the_skip_link_and_a_cell_s_date_and_source(browser):
    from selenium.webdriver.common.keys import Keys
    browser.get(f"{URL}/processes/{FORCE}")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("class") == "skip-link" and focused.is_displayed()
    # Tab on until a matrix cell with details has the focus: its tooltip (date, source) shows.
    for _ in range(200):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        focused = browser.switch_to.active_element
        if "tip" in (focused.get_attribute("class") or "").split():
            break
    else:
        raise AssertionError("no matrix cell is reachable by keyboard")
    tooltip = focused.find_element(By.CSS_SELECTOR, ".tip-text")
    assert tooltip.is_displayed()
    assert re.search(r"\d{4}-\d{2}-\d{2}", tooltip.text), tooltip.text


def test_no_external_resources_and_a_content_security_policy(browser):
    response = requests.get(f"{URL}/processes/{FORCE}", timeout=10)
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    for url in re.findall(r'(?:src|href)="([^"]+)"', response.text):
        assert url.startswith("/") or url.startswith("?") or url.startswith("#"), url


@pytest.mark.parametrize("path,role", [("/", None), (f"/processes/{FORCE}", "secretariat"), ("/parties/DE", None), ("/signin", None)])
def test_no_serious_or_critical_accessibility_findings(browser, path, role):
    if role:
        sign_in(browser, role)
    browser.get(URL + path)
    axe = Axe(browser)
    axe.inject()
    results = axe.run()
    serious = [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in serious]
