// The page of `plinth serve`: text or file queries against /api/search, zero-shot
// classification of a file query with /api/classify. Server strings are only ever
// put in the page with textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const KIND = { image: "picture", audio: "sound", text: "caption" };

let lastQuery = null;     // { text } or { file }: what a target or k change re-runs
let searchCount = 0;      // numbers requests, so a late answer to an older one is dropped
let classifyCount = 0;
let pending = 0;          // requests in flight, for the busy state
let previewURL = null;

// fetch that returns the JSON answer or throws the server's error message.
async function api(path, options) {
  pending++;
  document.body.classList.add("busy");
  try {
    const response = await fetch(path, options).catch((error) => {
      throw new Error(`The server did not answer (${error.message}). Is plinth serve still running?`);
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      throw new Error(body?.error?.message || `${response.status} ${response.statusText}`);
    }
    return body;
  } finally {
    if (--pending === 0) document.body.classList.remove("busy");
  }
}

// A file body is POSTed as it is, with the options in the query string.
function fileRequest(path, file, params) {
  return [`${path}?${new URLSearchParams(params)}`, {
    method: "POST",
    headers: { "Content-Type": file.type || "application/octet-stream" },
    body: file,
  }];
}

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function readK() {
  const k = Math.min(100, Math.max(1, parseInt($("k").value, 10) || 8));
  $("k").value = k;
  return k;
}

function readLabels() {
  const labels = $("labels").value.split(",").map((label) => label.trim()).filter(Boolean);
  return [...new Set(labels)];
}

// Runs the last query; true when its results are shown.
async function search() {
  if (!lastQuery) return false;
  const ticket = ++searchCount;
  const k = readK();
  const target = $("target").value;
  let request;
  if (lastQuery.file) {
    request = fileRequest("/api/search", lastQuery.file, target ? { k, target } : { k });
  } else {
    request = ["/api/search", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: lastQuery.text, k, target: target || null }),
    }];
  }
  try {
    const answer = await api(...request);
    if (ticket !== searchCount) return false;
    showResults(answer);
    showError(null);
    return true;
  } catch (error) {
    if (ticket !== searchCount) return false;
    $("results").replaceChildren();
    $("status").textContent = "";
    showError(error.message);
    return false;
  }
}

function showResults(answer) {
  const n = answer.results.length;
  const ms = answer.milliseconds < 10 ? answer.milliseconds.toFixed(1) : Math.round(answer.milliseconds);
  $("status").textContent = `${n} result${n === 1 ? "" : "s"} in ${ms} ms`;
  $("results").replaceChildren(...answer.results.map(resultCard));
}

function resultCard(result) {
  const card = element("article", "result");
  card.dataset.id = result.id;
  card.dataset.modality = result.modality;
  card.dataset.rank = result.rank;
  card.title = result.id;

  const media = element("div", "media");
  if (result.modality === "image" && result.media) {
    const img = element("img");
    img.src = result.media;
    img.alt = result.caption || result.id;
    media.append(img);
  } else if (result.modality === "audio" && result.media) {
    const audio = element("audio");
    audio.controls = true;
    audio.preload = "none";
    audio.src = result.media;
    media.classList.add("sound");
    media.append(element("span", null, "♪"), audio);
  } else {
    media.append(element("blockquote", null, result.id));
  }
  card.append(media);

  // A caption item's caption is its own text, already shown above.
  if (result.caption && !(result.modality === "text" && result.caption === result.id)) {
    card.append(element("p", "caption", result.caption));
  }
  const name = result.modality === "text" ? KIND.text : result.id;
  const meta = element("div", "meta");
  meta.append(element("span", null, `#${result.rank} · ${name}`),
              element("span", "score", result.score.toFixed(2)));
  card.append(meta);
  return card;
}

// Classifies the file query. `asked`: the person pressed Classify, so say why nothing happens.
async function classify(asked) {
  const box = $("classes");
  const labels = readLabels();
  const note = (text) => box.replaceChildren(element("p", "note", text));
  if (!lastQuery?.file) return asked ? note("Drop a picture or a sound first, then classify it.") : box.replaceChildren();
  if (labels.length < 2) return asked ? note("Enter at least two labels, separated by commas.") : box.replaceChildren();

  const ticket = ++classifyCount;
  try {
    const answer = await api(...fileRequest("/api/classify", lastQuery.file, { labels: labels.join(",") }));
    if (ticket !== classifyCount) return;
    box.replaceChildren(...answer.labels.map((entry, i) => {
      const row = element("div", i === 0 ? "class top" : "class");
      const percent = entry.probability * 100;
      const bar = element("div", "bar");
      const fill = element("span");
      fill.style.width = `${percent}%`;
      bar.append(fill);
      row.append(element("span", "label", entry.label), element("span", "probability", `${percent.toFixed(1)}%`), bar);
      return row;
    }));
    showError(null);
  } catch (error) {
    if (ticket !== classifyCount) return;
    box.replaceChildren();
    showError(error.message);
  }
}

// Drops the classification of an earlier query, and any answer still to come for it.
function clearClasses() {
  classifyCount++;
  $("classes").replaceChildren();
}

function showPreview(file) {
  if (previewURL) URL.revokeObjectURL(previewURL);
  previewURL = file ? URL.createObjectURL(file) : null;
  const preview = $("preview");
  preview.replaceChildren();
  preview.hidden = !file;
  if (!file) return;
  if (file.type.startsWith("image/")) {
    const img = element("img");
    img.src = previewURL;
    img.alt = file.name;
    preview.append(img);
  } else if (file.type.startsWith("audio/")) {
    const audio = element("audio");
    audio.controls = true;
    audio.src = previewURL;
    preview.append(audio);
  }
  preview.append(element("p", null, `Query: ${file.name}`));
}

async function useFile(file) {
  if (!file) return;
  lastQuery = { file };
  $("query").value = "";
  showPreview(file);
  clearClasses();
  // A file the server could not read for search is not classified either.
  if (await search()) await classify(false);
}

function useText(text) {
  text = text.trim();
  if (!text) return;
  lastQuery = { text };
  showPreview(null);
  clearClasses();
  search();
}

async function loadHealth() {
  try {
    const health = await api("/api/health");
    const items = health.items || {};
    const counts = Object.keys(KIND).filter((m) => m in items).map((m) => `${items[m]} ${KIND[m]}s`);
    $("footer").textContent =
      `Model ${health.model} · ${health.dimension}-dimensional embeddings · ${counts.join(", ")}` +
      ` · reads ${health.queries.join(", ")} queries`;
  } catch (error) {
    $("footer").textContent = "";
    showError(`The server is not answering: ${error.message}`);
  }
}

$("text-form").addEventListener("submit", (event) => {
  event.preventDefault();
  useText($("query").value);
});
$("target").addEventListener("change", search);
$("k").addEventListener("change", search);
$("labels-form").addEventListener("submit", (event) => {
  event.preventDefault();
  classify(true);
});
$("file").addEventListener("change", () => {
  useFile($("file").files[0]);
  $("file").value = "";  // so choosing the same file again is a change too
});

const drop = $("drop");
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  useFile(event.dataTransfer.files[0]);
});
// A file dropped beside the zone must not replace the page.
window.addEventListener("dragover", (event) => event.preventDefault());
window.addEventListener("drop", (event) => event.preventDefault());

loadHealth();
