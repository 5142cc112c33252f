#!/usr/bin/env python3
"""`enclave console` in a real browser: headless Chromium (Debian's chromium and
chromium-driver) driven by PyPI selenium.

Usage: console_test.py ENCLAVE_BINARY HOST PORT [--screenshot PNG]

Starts the console against the running (simulated) server, opens its URL, and checks what a
user sees and does: the attestation report verified with every check listed, a component loaded
through the form (with its progress and code hash), `add(2, 40)` called through the form built
from the WIT schema answering 42, the app unloaded again; a component above one frame's worth
loaded with the bar following the console's streamed upload to the server. Also that the API
refuses requests without the console's token or with another Host. --screenshot saves the page after the call
(the README's picture, docs/console.png).
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Above the 4 MiB the console still sends in one frame.
STREAMED_SIZE = 12 << 20
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print("%s %s%s" % ("PASS" if condition else "FAIL", name, "" if condition else ": " + str(detail)[:400]))


def status_of(url, headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def padded_component(directory):
    """The test guest with a custom section that takes it above the size the console sends in
    one frame (4 MiB), so the console streams it to the server in chunks."""
    def leb128(n):
        out = bytearray()
        while True:
            byte, n = n & 0x7F, n >> 7
            out.append(byte | (0x80 if n else 0))
            if not n:
                return bytes(out)
    name = b"padding"
    payload = leb128(len(name)) + name + bytes(STREAMED_SIZE)
    path = os.path.join(directory, "padded.wasm")
    with open(os.path.join(REPO, "Guests/test-guest/test-guest.wasm"), "rb") as guest, open(path, "wb") as out:
        out.write(guest.read() + b"\x00" + leb128(len(payload)) + payload)
    return path


def check_streamed_load(driver, wait):
    """Loads a component larger than one frame through the page and checks that the bar
    followed the console's streamed upload to the server, not only the browser's upload."""
    with tempfile.TemporaryDirectory() as directory:
        load_padded(driver, padded_component(directory))
    driver.find_element(By.CSS_SELECTOR, '#apps tr[data-app="padded"] button.unload').click()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '#apps tr[data-app="padded"]'))


def load_padded(driver, path):
    driver.execute_script("""
        window.loadStatuses = [];
        const status = document.getElementById("load-status");
        new MutationObserver(() => window.loadStatuses.push(status.textContent))
            .observe(status, {childList: true, characterData: true, subtree: true});""")
    driver.find_element(By.ID, "load-file").send_keys(path)
    name = driver.find_element(By.ID, "load-name")
    name.clear()
    name.send_keys("padded")
    driver.find_element(By.ID, "load-button").click()
    WebDriverWait(driver, 300).until(EC.text_to_be_present_in_element((By.ID, "load-status"), "loaded padded"))
    statuses = driver.execute_script("return window.loadStatuses")
    streamed = [re.search(r"sending to the enclave \(streamed in \d+ chunks\): (\d+) of (\d+) bytes", s) for s in statuses]
    streamed = [(int(m.group(1)), int(m.group(2))) for m in streamed if m]
    size = os.path.getsize(path)
    check("streamed load: the bar follows the chunks sent to the server",
          streamed and all(total == size for _, total in streamed) and max(done for done, _ in streamed) > 0, statuses)
    code_hash = hashlib.sha256(open(path, "rb").read()).hexdigest()
    check("streamed load: loaded with the file's code hash", code_hash in driver.find_element(By.ID, "load-status").text)


def main():
    enclave, host, port = sys.argv[1:4]
    screenshot = sys.argv[sys.argv.index("--screenshot") + 1] if "--screenshot" in sys.argv else None
    env = dict(os.environ, ENCLAVE_HOST=host, ENCLAVE_PORT=port)
    console = subprocess.Popen([enclave, "console", "--allow-simulated", "--json"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    driver = None
    try:
        line = console.stdout.readline()
        if not line:
            sys.exit("console did not start: " + console.stderr.read())
        url = json.loads(line)["url"]
        base, token = url.split("#token=")
        check("API refuses a request without the token", status_of(base + "api/apps", {}) == 403)
        check("API refuses another Host", status_of(base + "api/apps", {"X-Console-Token": token, "Host": "evil.example"}) == 421)
        check("API answers with the token", status_of(base + "api/apps", {"X-Console-Token": token}) == 200)

        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1500"):
            options.add_argument(argument)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        wait = WebDriverWait(driver, 60)
        driver.get(url)
        wait.until(EC.text_to_be_present_in_element((By.ID, "verdict"), "verified"))
        rows = driver.find_elements(By.CSS_SELECTOR, "#checks tbody tr[data-check]")
        verdicts = [row.find_elements(By.TAG_NAME, "td")[1].text for row in rows]
        check("attestation: every check listed and passed", rows and all(v == "PASS" for v in verdicts), verdicts)
        check("attestation: simulated evidence named", "simulated" in driver.find_element(By.ID, "attestation-summary").text)

        guest = os.path.join(REPO, "Guests/test-guest/test-guest.wasm")
        driver.find_element(By.ID, "load-file").send_keys(guest)
        driver.find_element(By.ID, "load-name").send_keys("demo")
        driver.find_element(By.ID, "load-button").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "load-status"), "loaded demo"))
        row = driver.find_element(By.CSS_SELECTOR, '#apps tr[data-app="demo"]')
        code_hash = subprocess.run(["sha256sum", guest], capture_output=True, text=True).stdout.split()[0]
        check("loaded app listed with its code hash and key source", code_hash in row.text and "generated" in row.text, row.text)

        form = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, 'form[data-function="add"]')))
        check("form built from the WIT signature", "add: func(a: u32, b: u32) -> u32" in form.text, form.text)
        form.find_element(By.NAME, "a").send_keys("2")
        form.find_element(By.NAME, "b").send_keys("40")
        form.find_element(By.TAG_NAME, "button").click()
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, 'form[data-function="add"] output'), "42"))
        check("add(2, 40) answers 42", form.find_element(By.TAG_NAME, "output").text == "42")
        greet = driver.find_element(By.CSS_SELECTOR, 'form[data-function="greet"]')
        greet.find_element(By.NAME, "name").send_keys("browser")
        greet.find_element(By.TAG_NAME, "button").click()
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, 'form[data-function="greet"] output'), "Hello"))
        check("greet takes plain text, prints WAVE", greet.find_element(By.TAG_NAME, "output").text == '"Hello, browser!"')
        if screenshot:
            driver.execute_script("window.scrollTo(0, 0)")
            driver.save_screenshot(screenshot)
            print("screenshot: " + screenshot)

        driver.find_element(By.CSS_SELECTOR, '#apps tr[data-app="demo"] button.unload').click()
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '#apps tr[data-app="demo"]'))
        check("unload from the page", True)

        check_streamed_load(driver, wait)
    finally:
        if driver:
            driver.quit()
        console.terminate()
        console.wait(timeout=10)
    failed = results.count(False)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
