#!/usr/bin/env python3
"""Uses the page of a running `plinth serve` in headless Chromium, as a person would.

    python3 scripts/browser_test.py --url http://127.0.0.1:8080 --screenshot /tmp/shot.png

Usually run by scripts/browser-test.sh, which starts the server. Needs Debian's chromium
and chromium-driver and the pinned selenium (scripts/setup.sh --web). Both are given to
Selenium by path, so Selenium Manager never runs and nothing is downloaded.
Prints `PASS name` for each check; the first failure raises with what the page showed.
"""
import argparse
import json
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "samples")
TIMEOUT = 30  # seconds for any one thing to appear; a search takes milliseconds


def start_browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


class Page:
    def __init__(self, driver, url):
        self.driver = driver
        self.url = url

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def wait(self, condition, what):
        """Waits for condition(driver) to be truthy; on timeout says what and shows the page's state."""
        try:
            return WebDriverWait(self.driver, TIMEOUT).until(condition)
        except TimeoutException:
            raise AssertionError(f"timed out waiting for {what}; page shows: {self.state()}") from None

    def state(self):
        return self.driver.execute_script("""
            const text = (id) => document.getElementById(id)?.textContent.trim();
            return {
              status: text('status'), error: text('error'), busy: document.body.classList.contains('busy'),
              results: [...document.querySelectorAll('#results .result')].slice(0, 4)
                .map((c) => c.dataset.rank + ' ' + c.dataset.modality + ' ' + c.dataset.id),
              classes: [...document.querySelectorAll('#classes .class')]
                .map((c) => c.querySelector('.label').textContent + ' ' + c.querySelector('.probability').textContent),
            };""")

    def results(self):
        return self.driver.find_elements(By.CSS_SELECTOR, "#results .result")

    def after(self, action, what):
        """Runs action(), which changes the query, and waits for the page's new answer."""
        old = self.results()
        old_error = self.find("#error").text
        action()
        # New results replace every card; without cards to replace, wait for results or a new error.
        self.wait(lambda d: EC.staleness_of(old[0])(d) if old
                  else self.results() or self.find("#error").text != old_error,
                  f"the page to answer ({what})")
        self.wait(lambda d: "busy" not in self.find("body").get_attribute("class").split(), f"the end of {what}")

    def first_result(self, modality, id, what):
        cards = self.results()
        if not cards:
            raise AssertionError(f"{what}: no results; page shows: {self.state()}")
        card = cards[0]
        got = (card.get_attribute("data-rank"), card.get_attribute("data-modality"), card.get_attribute("data-id"))
        if got != ("1", modality, id):
            raise AssertionError(f"{what}: first result is {got}, expected rank 1 {modality} {id!r}; "
                                 f"page shows: {self.state()}")
        score = card.find_element(By.CSS_SELECTOR, ".score").text
        if not re.fullmatch(r"-?\d+\.\d\d", score):
            raise AssertionError(f"{what}: score {score!r} is not a number with two decimals")
        return card

    def set_target(self, value):
        Select(self.find("#target")).select_by_value(value)

    def search_text(self, text):
        box = self.find("#query")
        box.clear()
        box.send_keys(text, Keys.ENTER)

    def upload(self, path):
        self.find("#file").send_keys(os.path.abspath(path))


def server_json(url, body=None, content_type=None):
    """The server's own answer (status, JSON) to compare the page with."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type} if content_type else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def check(name):
    print(f"PASS {name}", flush=True)


def run(page, screenshot, scratch):
    driver, url = page.driver, page.url

    # a. The page loads; the footer names the model and counts the items, as /api/health says.
    _, health = server_json(url + "/api/health")
    driver.get(url + "/")
    if "Plinth" not in driver.title:
        raise AssertionError(f"title is {driver.title!r}")
    footer = page.wait(lambda d: (t := page.find("#footer").text) and health["model"] in t and t,
                       f"the footer to name the model {health['model']!r}")
    for modality, count in health["items"].items():
        if str(count) not in footer:
            raise AssertionError(f"footer {footer!r} lacks the {count} {modality} items")
    foreign = driver.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)"
        ".filter((name) => !name.startsWith(location.origin + '/'))")
    if foreign:
        raise AssertionError(f"the page loaded files from elsewhere: {foreign}")
    check(f"page loads, footer: {footer}")

    # b. A text query for pictures, submitted with Enter.
    if Select(page.find("#target")).first_selected_option.get_attribute("value") != "image":
        raise AssertionError("the target is not Pictures by default")
    page.after(lambda: page.search_text("a cow"), "text search 'a cow'")
    card = page.first_result("image", "cow.png", "'a cow' in Pictures")
    image = card.find_element(By.TAG_NAME, "img")
    page.wait(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image),
              "the thumbnail of cow.png to load")
    status = page.find("#status").text
    if not re.search(r"\d+ results? in [\d.]+ ms", status):
        raise AssertionError(f"#status {status!r} does not give the count and time")
    check(f"'a cow' in Pictures: cow.png first, thumbnail loaded, score {card.find_element(By.CSS_SELECTOR, '.score').text}, "
          f"status '{status}'")

    # c. Switching the target re-runs the query.
    page.after(lambda: page.set_target("audio"), "switch to Sounds")
    card = page.first_result("audio", "cow.ogg", "'a cow' in Sounds")
    audio = card.find_element(By.TAG_NAME, "audio")
    if "/media/" not in audio.get_attribute("src"):
        raise AssertionError(f"the audio element plays {audio.get_attribute('src')!r}, not a /media/ URL")
    check("switching to Sounds re-runs 'a cow': cow.ogg first, with an audio player")

    # d. A picture as the query, against captions.
    page.after(lambda: page.set_target("text"), "switch to Captions")
    page.after(lambda: page.upload(os.path.join(SAMPLES, "dog.png")), "upload dog.png")
    page.first_result("text", "A dog.", "dog.png in Captions")
    page.wait(lambda d: d.execute_script(
        "const i = document.querySelector('#preview img'); return i && i.complete && i.naturalWidth > 0"),
        "the preview of dog.png")
    check("dog.png in Captions: 'A dog.' first, with a preview of the query")

    # e. Zero-shot classification of the file query.
    labels = page.find("#labels")
    labels.clear()
    labels.send_keys("dog, cow, violin", Keys.ENTER)
    page.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#classes .class")) == 3, "three labels in #classes")
    page.wait(lambda d: "busy" not in page.find("body").get_attribute("class").split(), "the end of classification")
    top = page.find("#classes .class")
    top_label = top.find_element(By.CSS_SELECTOR, ".label").text
    top_probability = top.find_element(By.CSS_SELECTOR, ".probability").text
    if top_label != "dog" or "top" not in top.get_attribute("class").split():
        raise AssertionError(f"top label is {top_label!r}, expected a highlighted 'dog'; page shows: {page.state()}")
    if not re.fullmatch(r"[\d.]+ ?%", top_probability):
        raise AssertionError(f"probability {top_probability!r} is not a percentage")
    check(f"labels 'dog, cow, violin' for dog.png: dog on top with {top_probability}")

    # g. The screenshot: the whole page, with results, preview and classes.
    os.makedirs(os.path.dirname(os.path.abspath(screenshot)), exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(1000, height))
    driver.save_screenshot(screenshot)
    driver.set_window_size(1280, 1000)
    check(f"screenshot saved to {screenshot}")

    # f. A file that is no picture or sound: the server's message in #error, then the page still works.
    bad = os.path.join(scratch, "notes.txt")
    with open(bad, "w") as file:
        file.write("These are notes, not a picture or a sound.\n")
    code, answer = server_json(url + "/api/search?k=8&target=text", open(bad, "rb").read(), "text/plain")
    expected = answer.get("error", {}).get("message")
    if code < 400 or not expected:
        raise AssertionError(f"the server answered {code} {answer} to a text file; expected an error")
    page.after(lambda: page.upload(bad), "upload notes.txt")
    error = page.find("#error")
    if not error.is_displayed() or error.text != expected:
        raise AssertionError(f"#error shows {error.text!r} (displayed: {error.is_displayed()}), "
                             f"expected the server's message {expected!r}")
    page.after(lambda: page.search_text("a violin"), "text search 'a violin'")
    page.first_result("text", "A violin.", "'a violin' in Captions after the bad upload")
    if page.find("#error").is_displayed():
        raise AssertionError(f"#error still shows {page.find('#error').text!r} after a good search")
    check(f"a text file shows the server's error ({code}: {expected}), then 'a violin' finds 'A violin.'")

    # h. A sound as the query, against pictures.
    page.after(lambda: page.set_target("image"), "switch to Pictures")
    page.after(lambda: page.upload(os.path.join(SAMPLES, "cow.ogg")), "upload cow.ogg")
    page.first_result("image", "cow.png", "cow.ogg in Pictures")
    if not driver.find_elements(By.CSS_SELECTOR, "#preview audio"):
        raise AssertionError("no audio player previews the sound query")
    check("cow.ogg in Pictures: cow.png first, with an audio player for the query")

    # The page's script threw nothing (failed requests are logged too; those were expected).
    thrown = [entry["message"] for entry in driver.get_log("browser")
              if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]]
    if thrown:
        raise AssertionError(f"errors in the browser console: {thrown}")
    check("no script errors in the browser console")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="where `plinth serve` listens, e.g. http://127.0.0.1:8080")
    parser.add_argument("--screenshot", default="/tmp/plinth-browser/screenshot.png")
    args = parser.parse_args()
    driver = start_browser()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            run(Page(driver, args.url.rstrip("/")), args.screenshot, scratch)
    except AssertionError as failure:
        sys.exit(f"FAIL {failure}")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
