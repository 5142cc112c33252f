// The EnclaveOS console: talks only to the `enclave console` process that served it (same
// origin), which holds the verified RA-TLS connection to the server. Every API request shows
// the token from this page's URL fragment.
"use strict";

const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
const $ = (selector) => document.querySelector(selector);

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(method, path, body) {
  const options = { method, headers: { "X-Console-Token": token } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const document = await response.json();
  if (!response.ok) throw new Error(document.error || response.statusText);
  return document;
}

function showError(message) {
  const box = $("#error");
  box.textContent = message || "";
  box.hidden = !message;
}

// ---- attestation

async function loadStatus() {
  try {
    const status = await api("GET", "/api/status");
    $("#server").textContent = status.server;
    $("#version").textContent = "enclave " + status.console_version;
    renderAttestation(status);
  } catch (error) {
    showError(error.message);
  }
}

function renderAttestation(status) {
  const verdict = $("#verdict");
  const body = $("#checks tbody");
  body.replaceChildren();
  $("#not-checked").replaceChildren();
  if (!status.attestation) {
    verdict.textContent = "unreachable";
    verdict.className = "badge bad";
    $("#attestation-summary").textContent = status.attestation_error;
    return;
  }
  const report = status.attestation;
  verdict.textContent = report.passed ? "verified" : "verification FAILED";
  verdict.className = "badge " + (report.passed ? "ok" : "bad");
  const format = report.evidence_format ? report.evidence_format + " evidence" : "no evidence";
  $("#attestation-summary").textContent = `${format}; ${report.checks.filter((c) => c.passed).length} of ${report.checks.length} checks passed` +
    (report.tcb_status ? `; TCB ${report.tcb_status}` : "");
  for (const check of report.checks) {
    body.append(element("tr", { "data-check": check.name },
      element("td", {}, element("code", {}, check.name)),
      element("td", { class: check.passed ? "pass" : "fail" }, check.passed ? "PASS" : "FAIL"),
      element("td", {}, check.detail)));
  }
  for (const [name, value] of Object.entries(report.measurements || {})) {
    body.append(element("tr", {}, element("td", {}, element("code", {}, name)), element("td", {}, "INFO"),
      element("td", { class: "hash" }, value)));
  }
  for (const item of report.not_checked) $("#not-checked").append(element("li", {}, item));
}

// ---- apps

let selectedApp = null;

async function loadApps() {
  try {
    const list = await api("GET", "/api/apps");
    renderApps(list.apps || []);
    showError("");
  } catch (error) {
    showError(error.message);
  }
}

function renderApps(apps) {
  const body = $("#apps tbody");
  body.replaceChildren();
  $("#apps-empty").hidden = apps.length > 0;
  for (const app of apps) {
    const open = element("button", { class: "app-name", type: "button", onclick: () => selectApp(app.name) }, app.name);
    const unload = element("button", { type: "button", class: "unload", onclick: () => unloadApp(app.name) }, "Unload");
    body.append(element("tr", { "data-app": app.name },
      element("td", {}, open),
      element("td", { class: "hash" }, app.code_hash),
      element("td", {}, app.key_source),
      element("td", {}, String(app.exports.length)),
      element("td", {}, unload)));
  }
  if (selectedApp && !apps.some((app) => app.name === selectedApp)) {
    selectedApp = null;
    $("#exports-section").hidden = true;
  }
}

async function unloadApp(name) {
  try {
    await api("POST", "/api/unload", { name });
    await loadApps();
    await loadStatus();  // the certificate's apps hash changed
  } catch (error) {
    showError(error.message);
  }
}

// ---- exports: one form per function, built from its WIT signature

async function selectApp(name) {
  try {
    const schema = await api("GET", "/api/schema?app=" + encodeURIComponent(name));
    selectedApp = name;
    $("#exports-app").textContent = name;
    $("#types").textContent = schema.types.join("\n");
    $("#types").hidden = schema.types.length === 0;
    $("#exports").replaceChildren(...schema.functions.map((f) => exportForm(name, f)));
    $("#exports-section").hidden = false;
  } catch (error) {
    showError(error.message);
  }
}

function exportForm(app, func) {
  const output = element("output", { class: "result" });
  const inputs = func.params.map((param) => element("input", {
    name: param.name,
    class: param.plain_text ? "text" : "wave",
    placeholder: param.plain_text ? "text" : "WAVE",
  }));
  const form = element("form", { class: "export", "data-function": func.name },
    element("div", { class: "signature" }, func.signature));
  if (func.docs) form.append(element("div", { class: "docs" }, func.docs));
  func.params.forEach((param, index) => form.append(element("label", {}, `${param.name}: ${param.wit}`, inputs[index])));
  form.append(element("button", { type: "submit" }, "Call"), output);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    output.className = "result";
    output.textContent = "calling…";
    try {
      const answer = await api("POST", "/api/call", { app, function: func.name, args: inputs.map((input) => input.value) });
      output.textContent = answer.results.length ? answer.results.join("\n") : "(no result)";
    } catch (error) {
      output.className = "result error";
      output.textContent = error.message;
    }
  });
  return form;
}

// ---- load, with a progress bar: the upload to this console, then the server's work

function loadComponent(event) {
  event.preventDefault();
  const file = $("#load-file").files[0];
  const name = $("#load-name").value.trim();
  if (!file || !name) return;
  const progress = $("#load-progress");
  const status = $("#load-status");
  progress.hidden = false;
  progress.value = 0;
  status.className = "";
  status.textContent = `uploading ${file.name} (${file.size} bytes)…`;
  $("#load-button").disabled = true;
  const request = new XMLHttpRequest();
  request.open("POST", "/api/load?name=" + encodeURIComponent(name));
  request.setRequestHeader("X-Console-Token", token);
  request.setRequestHeader("Content-Type", "application/wasm");
  request.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = (100 * e.loaded) / e.total; };
  // Second half of the bar: the console sending it on to the server (streamed in chunks when
  // large), then the server validating, sealing and storing it.
  // Polled often (on a fast link a large component reaches the server in well under a
  // second), one question at a time: the next goes 100 ms after the last answer, so answers
  // arrive in order and never pile up on the browser's few connections to the console.
  let poll = null;
  let finished = false;
  const follow = async () => {
    try {
      const p = await api("GET", "/api/load-progress?name=" + encodeURIComponent(name));
      // An answer that arrives after the load's own must not cover it.
      if (finished) return;
      if (p.active && p.phase === "committing") {
        progress.removeAttribute("value");
        status.textContent = `sending to the enclave (${p.method}): ${p.total_bytes} of ${p.total_bytes} bytes sent; the enclave validates, seals and stores it…`;
      } else if (p.active) {
        progress.value = p.total_bytes ? (100 * p.bytes_done) / p.total_bytes : 0;
        status.textContent = `${p.phase === "hashing" ? "hashing" : "sending to the enclave"} (${p.method}): ${p.bytes_done} of ${p.total_bytes} bytes`;
      }
    } catch (_) { /* the load's own answer reports errors */ }
    if (!finished) poll = setTimeout(follow, 100);
  };
  request.upload.onload = () => {
    if (finished) return;
    progress.value = 0;
    status.textContent = "sending to the enclave…";
    follow();
  };
  request.onloadend = async () => {
    finished = true;
    if (poll) clearTimeout(poll);
    $("#load-button").disabled = false;
    progress.hidden = true;
    let answer = {};
    try { answer = JSON.parse(request.responseText); } catch (_) { answer = { error: request.statusText || "no answer" }; }
    if (request.status === 200 && answer.app) {
      status.textContent = `loaded ${answer.app.name}: code hash ${answer.app.code_hash}`;
      await loadApps();
      await loadStatus();
      await selectApp(answer.app.name);
    } else {
      status.className = "error";
      status.textContent = answer.error || `load failed (${request.status})`;
    }
  };
  request.send(file);
}

document.addEventListener("DOMContentLoaded", () => {
  if (!token) showError("This page needs the token from the URL `enclave console` printed.");
  $("#recheck").addEventListener("click", loadStatus);
  $("#load-form").addEventListener("submit", loadComponent);
  loadStatus().then(loadApps);
});
