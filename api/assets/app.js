// The dashboard shell: hash routing, the window and sign-in controls, and the refresh
// loop that updates the open view in place every 15 seconds without reloading the page.

import { h, fmt } from "./format.js";
import { ApiError, get, token, setToken } from "./api.js";
import * as overview from "./overview.js";
import * as zone from "./zone.js";
import * as session from "./session.js";
import * as health from "./health.js";

const VIEWS = { overview, zone, session, health };
// Every 15 s by default; `?refresh=60` (seconds, 2 to 3600) in the page address changes it,
// for a slow link or for tests.
const REFRESH_MS = 1000 * Math.min(3600, Math.max(2, Number(new URLSearchParams(location.search).get("refresh")) || 15));
const WINDOW_KEY = "childstat.window";

const main = document.getElementById("view");
const banner = document.getElementById("banner");
const updated = document.getElementById("updated");
const windowPick = document.getElementById("window");

let current = null; // {name, arg, params, view, content, data, seq}
let timer = null;
let seq = 0;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = raw.split("?");
  const [name, ...rest] = path.split("/").filter(Boolean);
  return {
    name: VIEWS[name] ? name : "overview",
    arg: rest.length ? decodeURIComponent(rest.join("/")) : null,
    params: new URLSearchParams(query),
  };
}

// Changes the hash without adding a history entry for every control change.
function setHash(name, arg, params, { push = false } = {}) {
  const q = params.toString();
  const hash = `#/${name}${arg ? `/${encodeURIComponent(arg)}` : ""}${q ? `?${q}` : ""}`;
  if (hash === location.hash) return;
  if (push) location.hash = hash;
  else {
    history.replaceState(null, "", hash);
    route();
  }
}

function windowChoice(params) {
  const w = params.get("window") || localStorage.getItem(WINDOW_KEY) || "28d";
  return ["7d", "28d", "91d"].includes(w) ? w : "28d";
}

function context(r) {
  return {
    arg: r.arg,
    params: r.params,
    window: windowChoice(r.params),
    // Replace some parameters of this view; `arg` null keeps it.
    update(changes, arg = r.arg, opts = {}) {
      const p = new URLSearchParams(r.params);
      for (const [k, v] of Object.entries(changes)) {
        if (v === null || v === undefined || v === "") p.delete(k);
        else p.set(k, v);
      }
      setHash(r.name, arg, p, opts);
    },
    // Re-renders from the data already loaded (a sort or filter change needs no fetch).
    rerender() {
      if (current?.data) paint(current.view.render(current.data, context(parseHash())));
    },
    signedIn: Boolean(token()),
  };
}

async function route() {
  const r = parseHash();
  const sameView = current && current.name === r.name && current.arg === r.arg;
  const view = VIEWS[r.name];
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === r.name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  windowPick.value = windowChoice(r.params);
  windowPick.disabled = view.usesWindow === false;
  if (!sameView) {
    const controls = h("div", { class: "view-controls" });
    const content = h("div", { class: "view-content", "aria-busy": "true" },
      h("p", { class: "loading" }, "Loading…"));
    main.replaceChildren(controls, content);
    current = { name: r.name, arg: r.arg, params: r.params, view, controls, content, data: null };
  } else {
    current.params = r.params;
  }
  const ctx = context(r);
  await keepFocus(current.controls, () => safeControls(view, ctx));
  document.title = `${view.title(ctx)} · ChildStat`;
  // A sort or filter change shows at once from the data in hand; the fetch follows.
  if (sameView && current.data) paint(view.render(current.data, ctx));
  await refresh();
}

// Rebuilds the controls; the control that had focus (a select just changed, say) keeps it.
async function keepFocus(container, build) {
  const key = container.contains(document.activeElement) ? document.activeElement.closest("[data-focus]")?.dataset.focus : null;
  const nodes = [await build()].flat(Infinity).filter(Boolean);
  container.replaceChildren(...nodes);
  if (key) container.querySelector(`[data-focus="${CSS.escape(key)}"]`)?.focus();
}

async function safeControls(view, ctx) {
  try {
    return view.controls ? await view.controls(ctx) : [];
  } catch (e) {
    return [errorPanel(e)];
  }
}

async function refresh() {
  clearTimeout(timer);
  const mine = ++seq;
  const target = current;
  const ctx = context(parseHash());
  try {
    const data = await target.view.load(ctx);
    if (mine !== seq || target !== current) return;
    target.data = data;
    paint(target.view.render(data, ctx));
    banner.textContent = "";
    banner.className = "";
    const now = new Date();
    updated.textContent = `Updated ${fmt.time(now)} · refreshes every ${REFRESH_MS / 1000} s`;
    updated.dataset.refreshes = String(Number(updated.dataset.refreshes ?? 0) + 1);
  } catch (e) {
    if (mine !== seq || target !== current) return;
    if (!target.data) paint(errorPanel(e));
    else {
      banner.className = "warn";
      banner.textContent = `Could not refresh at ${fmt.time(new Date())}: ${e.message} The figures shown are from the last successful update.`;
    }
    if (!(e instanceof ApiError)) console.error(e);
  } finally {
    if (mine === seq) timer = setTimeout(refresh, REFRESH_MS);
  }
}

function errorPanel(e) {
  const signIn = e instanceof ApiError && e.signInNeeded;
  return h("section", { class: "panel notice", role: "alert" },
    h("h2", {}, signIn ? "Sign in needed" : "Cannot show this view"),
    h("p", {}, e.message ?? String(e)),
    signIn ? h("p", {}, "Use the Sign in box at the top right with the access token you were given.") : null);
}

// Swaps in new content, keeping what the reader is doing: focus, scroll positions, and
// a brief highlight on each figure that changed since the last update.
function paint(node) {
  const content = current.content;
  const old = new Map();
  for (const el of content.querySelectorAll("[data-key]")) old.set(el.dataset.key, el.dataset.val);
  const focusKey = content.contains(document.activeElement) ? document.activeElement.closest("[data-focus]")?.dataset.focus : null;
  const scrolls = new Map();
  for (const el of content.querySelectorAll("[data-scroll]")) scrolls.set(el.dataset.scroll, [el.scrollLeft, el.scrollTop]);
  const [sx, sy] = [window.scrollX, window.scrollY];

  content.replaceChildren(...[node].flat(Infinity).filter(Boolean));
  content.removeAttribute("aria-busy");

  for (const el of content.querySelectorAll("[data-scroll]")) {
    const pos = scrolls.get(el.dataset.scroll);
    if (pos) [el.scrollLeft, el.scrollTop] = pos;
  }
  window.scrollTo(sx, sy);
  if (focusKey) content.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`)?.focus({ preventScroll: true });
  if (old.size) {
    for (const el of content.querySelectorAll("[data-key]")) {
      const was = old.get(el.dataset.key);
      if (was !== undefined && was !== el.dataset.val) el.classList.add("changed");
    }
  }
}

function renderAccount() {
  const box = document.getElementById("account");
  if (token()) {
    box.replaceChildren(
      h("span", { class: "signed-in" }, "Signed in"),
      h("button", { type: "button", class: "link", id: "signout", onclick: () => { setToken(""); renderAccount(); route(); } }, "Sign out"),
    );
    return;
  }
  const input = h("input", { type: "password", id: "token", name: "token", autocomplete: "off", required: true, spellcheck: "false" });
  const msg = h("p", { class: "form-msg", "aria-live": "polite" });
  const form = h("form", { class: "signin-form" },
    h("label", { for: "token" }, "Access token"), input,
    h("button", { type: "submit" }, "Sign in"), msg);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    setToken(input.value.trim());
    try {
      await get("/api/v1/zones");
      renderAccount();
      route();
    } catch (e) {
      setToken("");
      msg.textContent = e instanceof ApiError && e.signInNeeded ? "That token was not accepted." : e.message;
    }
  });
  box.replaceChildren(h("details", { class: "signin" }, h("summary", {}, "Sign in"), form));
}

windowPick.addEventListener("change", () => {
  localStorage.setItem(WINDOW_KEY, windowPick.value);
  const r = parseHash();
  const p = new URLSearchParams(r.params);
  p.set("window", windowPick.value);
  setHash(r.name, r.arg, p);
});

document.getElementById("skip").addEventListener("click", (ev) => {
  ev.preventDefault();
  main.focus();
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && current) refresh();
});

window.addEventListener("hashchange", () => {
  route();
  main.focus({ preventScroll: true });
});

renderAccount();
route();
