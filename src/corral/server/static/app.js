// corral dashboard: plain JS, no build step, no libraries.
// Every string that comes from the server (agent commands, paths, rule text) is put in
// the DOM as text (textContent / createTextNode), never parsed as HTML.
"use strict";

const TOKEN_KEY = "corral.token";
const MAX_TIMELINE = 500;
const state = { sandboxes: [], lastEventId: 0, abort: null, usageFor: "", timer: null };

// ---------------------------------------------------------------------------- helpers

function $(id) { return document.getElementById(id); }

// el("td", {class: "x"}, "text", otherNode): children that are strings become text nodes
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") node.className = String(v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "title") node.title = String(v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null) continue;
    node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

function short(id) { return String(id || "").slice(0, 8); }

function fmtTime(t) {
  const d = new Date(Number(t) * 1000);
  return isNaN(d) ? "" : d.toLocaleTimeString();
}

function clip(text, n) {
  const s = String(text == null ? "" : text);
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

function fmtBytes(n) {
  n = Number(n) || 0;
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + " " + units[i];
}

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

function headers(extra) {
  const h = Object.assign({}, extra || {});
  const t = token();
  if (t) h["Authorization"] = "Bearer " + t;
  return h;
}

async function api(path, opts) {
  opts = opts || {};
  const init = { method: opts.method || "GET", headers: headers(opts.headers) };
  if (opts.json !== undefined) {
    init.body = JSON.stringify(opts.json);
    init.headers["Content-Type"] = "application/json";
  }
  const resp = await fetch(path, init);
  if (resp.status === 401) { showLogin("That token is not valid here."); throw new Error("401"); }
  let data = null;
  try { data = await resp.json(); } catch (e) { data = null; }
  if (!resp.ok) throw new Error((data && data.error) || ("HTTP " + resp.status));
  return data;
}

// ---------------------------------------------------------------------------- login

function showLogin(message) {
  if (state.abort) { state.abort.abort(); state.abort = null; }
  $("main").hidden = true;
  $("login").hidden = false;
  $("logout").hidden = true;
  $("login-error").textContent = message || "";
  setLive(false);
}

async function start() {
  let who;
  try {
    who = await api("/v1/whoami");
  } catch (e) {
    if (e.message !== "401") showLogin(e.message);
    return;
  }
  $("login").hidden = true;
  $("main").hidden = false;
  $("logout").hidden = !who.auth;
  $("who").textContent = "tenant " + who.tenant;
  await Promise.allSettled([refreshSandboxes(), refreshApprovals(), refreshAlerts(), refreshAudit()]);
  streamEvents();
  if (state.timer) clearInterval(state.timer);
  state.timer = setInterval(() => { refreshSandboxes(); refreshApprovals(); }, 5000);
}

// ---------------------------------------------------------------------------- sandboxes

async function refreshSandboxes() {
  const list = await api("/v1/sandboxes");
  state.sandboxes = list;
  const body = $("sandboxes");
  clear(body);
  for (const sb of list) {
    const tags = Object.entries(sb.tags || {}).map(([k, v]) => k + "=" + v).join(" ");
    body.appendChild(el("tr", { dataset: { id: sb.id } },
      el("td", { title: sb.id, class: "id" }, short(sb.id)),
      el("td", {}, sb.backend),
      el("td", {}, sb.policy || "none"),
      el("td", { class: "state-" + sb.state }, String(sb.state).replace("_", " ")),
      el("td", {}, sb.calls),
      el("td", {}, sb.alerts),
      el("td", {}, tags)));
  }
  for (const sel of [$("usage-sandbox"), $("timeline-filter")]) {
    const keep = sel.value;
    const first = sel.id === "timeline-filter" ? [el("option", { value: "" }, "all sandboxes")] : [];
    clear(sel);
    for (const o of first) sel.appendChild(o);
    for (const sb of list) sel.appendChild(el("option", { value: sb.id }, short(sb.id)));
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  }
  refreshUsage();
}

// ---------------------------------------------------------------------------- approvals

async function refreshApprovals() {
  const list = await api("/v1/approvals");
  const ul = $("approvals");
  clear(ul);
  $("approvals-count").textContent = String(list.length);
  $("approvals-empty").hidden = list.length > 0;
  for (const q of list) {
    const left = Math.max(0, Math.round(q.created + q.timeout_s - Date.now() / 1000));
    const buttons = el("div", { class: "buttons" },
      el("button", { type: "button", class: "allow", dataset: { id: q.id, allow: "1" } }, "Allow"),
      el("button", { type: "button", class: "allow", dataset: { id: q.id, allow: "1", always: "1" } }, "Allow always"),
      el("button", { type: "button", class: "deny", dataset: { id: q.id } }, "Deny"));
    ul.appendChild(el("li", { class: "approval", dataset: { id: q.id } },
      el("div", { class: "summary" }, q.summary),
      el("div", { class: "muted" }, "sandbox " + short(q.sandbox) + " · rule " + (q.rule || "-") +
        " · " + left + " s left, then " + q.default),
      el("div", {}, q.reason),
      q.principle_text ? el("div", { class: "muted" }, q.principle + ": " + q.principle_text) : null,
      buttons));
  }
}

async function answer(id, allow, always) {
  try {
    await api("/v1/approvals/" + encodeURIComponent(id), { method: "POST", json: { allow, always } });
  } catch (e) {
    if (e.message !== "401") alert("corral: " + e.message);
  }
  refreshApprovals();
  refreshSandboxes();
}

// ---------------------------------------------------------------------------- alerts

async function refreshAlerts() {
  const list = await api("/v1/alerts");
  const ul = $("alerts");
  clear(ul);
  $("alerts-count").textContent = String(list.length);
  for (const a of list.slice().reverse().slice(0, 100)) {
    const evidence = el("ul", { class: "evidence" });
    for (const ev of a.evidence || []) {
      const data = ev.event_data;
      evidence.appendChild(el("li", {},
        ev.description,
        data ? el("div", { class: "muted" }, "event #" + data.seq + " " + data.type + ": " + describe(data)) : null));
    }
    ul.appendChild(el("li", { class: "sev-" + a.severity },
      el("div", {}, el("strong", {}, a.severity + " "), a.title),
      el("div", { class: "muted" }, "rule " + a.rule + " · technique " + (a.technique || "-") +
        " · response " + a.response + " · sandbox " + short(a.session) + " · " + fmtTime(a.time)),
      el("div", { class: "summary" }, a.summary),
      evidence));
  }
}

// ---------------------------------------------------------------------------- timeline

function describe(ev) {
  const a = ev.action;
  let what = "";
  if (a) {
    if (a.kind === "exec" || a.kind === "spawn") what = (a.argv || []).join(" ");
    else if (a.kind === "code") what = a.language + ": " + String(a.code || "").split("\n")[0];
    else if (a.kind === "file") what = a.op + " " + a.path;
    else if (a.kind === "net") what = "net " + a.host + (a.port ? ":" + a.port : "");
    else if (a.kind === "tool") what = "tool " + a.name;
  }
  const parts = [clip(what, 300)];
  if (ev.decision) parts.push("→ " + ev.decision.verdict + (ev.decision.reason ? " (" + clip(ev.decision.reason, 200) + ")" : ""));
  if (ev.outcome && ev.outcome.exit_code !== undefined) parts.push("exit " + ev.outcome.exit_code);
  if (ev.type === "monitor.alert" && ev.data) parts.push(clip(ev.data.summary, 200));
  return parts.filter(Boolean).join("  ");
}

function addEvent(ev) {
  const filter = $("timeline-filter").value;
  const li = el("li", { dataset: { session: ev.session }, class: ev.type === "action.denied" ? "denied" : "" },
    el("span", { class: "muted" }, fmtTime(ev.time) + " " + short(ev.session) + " "),
    el("span", { class: "type" }, ev.type), " ", describe(ev));
  li.hidden = !!filter && filter !== ev.session;
  const ol = $("timeline");
  ol.insertBefore(li, ol.firstChild);
  while (ol.children.length > MAX_TIMELINE) ol.removeChild(ol.lastChild);
}

let pending = null;
function soon(fn) { // coalesce refreshes caused by bursts of events
  pending = pending || new Set();
  pending.add(fn);
  setTimeout(() => { const fns = pending; pending = null; if (fns) fns.forEach((f) => f().catch(() => {})); }, 150);
}

function onEvent(ev) {
  addEvent(ev);
  const t = ev.type;
  if (t.startsWith("approval.")) soon(refreshApprovals);
  if (t.startsWith("sandbox.") || t.startsWith("approval.") || t === "action.completed" || t.startsWith("session.")) soon(refreshSandboxes);
  if (t === "monitor.alert") soon(refreshAlerts);
  if (t === "action.completed" || t.startsWith("approval.") || t.startsWith("sandbox.")) soon(refreshAudit);
}

function setLive(on) {
  const b = $("live");
  b.textContent = on ? "live" : "offline";
  b.className = "badge " + (on ? "on" : "off");
}

async function streamEvents() {
  if (state.abort) state.abort.abort();
  const ctrl = new AbortController();
  state.abort = ctrl;
  const h = headers({ Accept: "text/event-stream" });
  if (state.lastEventId) h["Last-Event-ID"] = String(state.lastEventId);
  try {
    const resp = await fetch("/v1/events?backlog=200", { headers: h, signal: ctrl.signal });
    if (resp.status === 401) { showLogin("That token is not valid here."); return; }
    if (!resp.ok || !resp.body) throw new Error("HTTP " + resp.status);
    setLive(true);
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        let type = "message", data = "", id = null;
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) type = line.slice(7);
          else if (line.startsWith("data: ")) data += line.slice(6);
          else if (line.startsWith("id: ")) id = Number(line.slice(4));
        }
        if (id) state.lastEventId = id;
        if (type === "event" && data) {
          try { onEvent(JSON.parse(data)); } catch (e) { console.error(e); }
        }
      }
    }
  } catch (e) {
    if (ctrl.signal.aborted) return;
  }
  setLive(false);
  if (state.abort === ctrl) setTimeout(streamEvents, 2000);
}

// ---------------------------------------------------------------------------- usage charts

const SVGNS = "http://www.w3.org/2000/svg";

function chart(label, points, fmt) {
  const w = 300, h = 70;
  const svg = document.createElementNS(SVGNS, "svg");
  svg.setAttribute("viewBox", "0 0 " + w + " " + h);
  svg.setAttribute("preserveAspectRatio", "none");
  const top = points.length ? Math.max(...points.map(Number)) : 0;
  const max = top > 0 ? top : 1;
  const n = points.length;
  if (n) {
    const bw = w / Math.max(n, 1);
    points.forEach((v, i) => {
      const bh = Math.max(1, (Number(v) / max) * (h - 4));
      const r = document.createElementNS(SVGNS, "rect");
      r.setAttribute("x", String(i * bw));
      r.setAttribute("y", String(h - bh));
      r.setAttribute("width", String(Math.max(1, bw - 1)));
      r.setAttribute("height", String(bh));
      r.setAttribute("fill", "#2456c9");
      svg.appendChild(r);
    });
  }
  const last = n ? points[n - 1] : 0;
  return el("div", { class: "chart" },
    el("div", { class: "label" }, label + ": " + fmt(last) + " (max " + fmt(top) + ")"), svg);
}

async function refreshUsage() {
  const id = $("usage-sandbox").value;
  const box = $("charts");
  if (!id) { clear(box); box.appendChild(el("p", { class: "muted" }, "No sandbox.")); return; }
  let u;
  try { u = await api("/v1/sandboxes/" + encodeURIComponent(id) + "/usage"); } catch (e) { return; }
  const pts = (u.points || []).slice(-60);
  clear(box);
  box.appendChild(chart("CPU per call", pts.map((p) => p.cpu_s), (v) => Number(v).toFixed(3) + " s"));
  box.appendChild(chart("memory", pts.map((p) => p.memory_bytes), fmtBytes));
  box.appendChild(chart("output per call", pts.map((p) => p.output_chars), (v) => v + " chars"));
  box.appendChild(chart("network (out + in)", pts.map((p) => (p.net_out || 0) + (p.net_in || 0)), fmtBytes));
}

// ---------------------------------------------------------------------------- audit

async function refreshAudit() {
  const body = $("audit");
  let rows;
  try {
    rows = await api("/v1/audit?limit=100");
  } catch (e) {
    clear(body);
    body.appendChild(el("tr", {}, el("td", { colspan: "5", class: "muted" }, e.message)));
    return;
  }
  clear(body);
  for (const r of rows.slice().reverse()) {
    const b = r.body || {};
    const what = b.type ? b.type + " " + describe(b) : JSON.stringify(b);
    body.appendChild(el("tr", {},
      el("td", {}, r.seq), el("td", {}, fmtTime(r.time)), el("td", {}, r.kind),
      el("td", { title: r.session || "" }, short(r.session)), el("td", {}, clip(what, 300))));
  }
}

async function verifyAudit() {
  const out = $("audit-result");
  out.textContent = "verifying…";
  out.className = "";
  try {
    const v = await api("/v1/audit/verify");
    out.textContent = v.ok ? "intact (" + v.rows + " rows)" : "BROKEN: " + (v.problem || "") +
      (v.first_bad_seq ? " (row " + v.first_bad_seq + ")" : "");
    out.className = v.ok ? "ok" : "bad";
  } catch (e) {
    out.textContent = e.message;
    out.className = "bad";
  }
}

// ---------------------------------------------------------------------------- wiring

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token").value = "";
    start();
  });
  $("logout").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); showLogin(""); });
  $("approvals").addEventListener("click", (e) => {
    const b = e.target.closest("button[data-id]");
    if (!b) return;
    b.disabled = true;
    answer(b.dataset.id, b.dataset.allow === "1", b.dataset.always === "1");
  });
  $("usage-sandbox").addEventListener("change", refreshUsage);
  $("timeline-filter").addEventListener("change", () => {
    const f = $("timeline-filter").value;
    for (const li of $("timeline").children) li.hidden = !!f && f !== li.dataset.session;
  });
  $("audit-refresh").addEventListener("click", refreshAudit);
  $("audit-verify").addEventListener("click", verifyAudit);
  start();
});
