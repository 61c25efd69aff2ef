// Opens every dashboard view in Debian's Chromium against a running instance and checks
// that real figures appear, saving a screenshot of each. Driven by tests/browser.rs:
//
//   node tests/browser/views.mjs <base-url> <screenshot-dir>
//
// Environment: CHROMIUM (default /usr/bin/chromium); VIEWER_TOKEN and REVIEWER_TOKEN when
// the instance has access tokens configured, to check signing in and the reviewer-only
// case candidates; PUBLIC_TOKEN to check what the public role sees (suppressed figures,
// and notes where its role may not read). Exits non-zero with the failed check's message.

import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error("usage: node views.mjs <base-url> <screenshot-dir>");
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const viewer = process.env.VIEWER_TOKEN;
const reviewer = process.env.REVIEWER_TOKEN;
const publicToken = process.env.PUBLIC_TOKEN;

const PERCENT = /^\d{1,3}\.\d%$/;
const COUNT = /^\d{1,3}(,\d{3})*$/;
const DECIMAL = /^\d+\.\d$/;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // The sandbox needs user namespaces, which CI containers running as root lack.
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});

const problems = [];
const external = [];
// The agency's own clock and language, as the people in the session see it.
const context = await browser.newContext({
  viewport: { width: 1440, height: 900 },
  deviceScaleFactor: 1,
  locale: "en-US",
  timezoneId: "America/New_York",
});
// Offline by construction: anything not served by the instance itself is refused and noted.
await context.route("**/*", (route) => {
  const url = route.request().url();
  if (url.startsWith(base)) return route.continue();
  external.push(url);
  return route.abort();
});
const page = await context.newPage();
let expectAuthErrors = false;
// The public role is refused the management routes; the views ask and explain.
let expectForbidden = false;
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.on("console", (m) => {
  if (m.type() !== "error") return;
  if (expectAuthErrors && /status of 40[13]/.test(m.text())) return;
  if (expectForbidden && /status of 403/.test(m.text())) return;
  problems.push(`console error: ${m.text()}`);
});

async function text(selector) {
  const el = page.locator(selector).first();
  await el.waitFor({ timeout: 30000 });
  return (await el.textContent()).trim();
}

// The value's own text, without the screen-reader note or the breach mark.
async function figure(key) {
  const el = page.locator(`[data-key="${key}"]`).first();
  await el.waitFor({ timeout: 30000 });
  return el.evaluate((e) => e.dataset.val);
}

async function shot(name, opts = {}) {
  const file = path.join(outDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: opts.fullPage ?? true });
  console.log(`screenshot ${file}`);
}

async function noSidewaysScroll(label) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `${label}: the page scrolls sideways (${scroll} > ${width} px)`);
}

async function signIn(token) {
  await page.locator("#account summary").click();
  await page.fill("#token", token);
  await page.press("#token", "Enter");
  await page.locator("#signout").waitFor({ timeout: 10000 });
}

async function signOut() {
  await page.click("#signout");
  await page.locator("#account summary").waitFor();
}

// Every value cell of the overview table: its key, shown value, text, tooltip and classes.
function overviewCells() {
  return page.$$eval("table.overview tbody td.value", (tds) => tds.map((td) => ({
    key: td.dataset.key, val: td.dataset.val, text: td.textContent.trim(), title: td.title, cls: td.className,
  })));
}

// The whole numbers a shown cell rests on: a count's value, a rate's or an average's parts
// from its tooltip ("412 of 472", "1,203 open investigations ÷ 95 caseworkers").
function parts(c) {
  if (COUNT.test(c.val)) return [Number(c.val.replaceAll(",", ""))];
  return (c.title.split(" — ")[0].match(/[\d,]+/g) ?? []).map((x) => Number(x.replaceAll(",", "")));
}

// Small-cell suppression hides any count, numerator or denominator from 1 to 10.
const fewCases = (n) => n >= 1 && n <= 10;

// A short refresh interval (?refresh=2) lets the refresh check take seconds, not 15.
const open = (hash) => page.goto(`${base}/?refresh=2#${hash}`);

// --- sign-in, when the instance has tokens ------------------------------------------
if (viewer) {
  expectAuthErrors = true;
  await open("/overview");
  assert.match(await text(".notice h2"), /Sign in needed/, "without a token the overview asks to sign in");
  await page.locator("#account summary").click();
  await page.fill("#token", "not-a-real-token");
  await page.press("#token", "Enter");
  assert.match(await text(".form-msg"), /not accepted/, "a wrong token is refused");
  await page.fill("#token", viewer);
  await page.press("#token", "Enter");
  await page.locator("#signout").waitFor();
  expectAuthErrors = false;
}

// --- zone overview -------------------------------------------------------------------
await open("/overview?window=28d");
await page.locator("table.overview tbody tr").nth(21).waitFor({ timeout: 30000 });
assert.equal(await page.locator("table.overview tbody tr").count(), 22, "citywide and 21 zones");
assert.match(await figure("ov|citywide|open_investigations"), COUNT);
assert.ok(Number((await figure("ov|citywide|open_investigations")).replaceAll(",", "")) > 0, "open investigations > 0");
assert.match(await figure("ov|citywide|contact_24h_rate"), PERCENT);
assert.match(await figure("ov|citywide|caseload_avg"), DECIMAL);
assert.match(await figure("ov|Z07|intakes"), COUNT);
const cityTitle = await page.locator('[data-key="ov|citywide|contact_24h_rate"]').getAttribute("title");
assert.match(cityTitle, /^[\d,]+ of [\d,]+/, "a rate's tooltip gives numerator and denominator");
await noSidewaysScroll("overview at 1440 px");
// What management sees unsuppressed: the public check below expects cells hidden if any is small.
const viewerSmall = (await overviewCells()).filter((c) => c.val !== "—" && parts(c).some(fewCases)).length;
console.log(`viewer overview: ${viewerSmall} cells rest on 1 to 10 cases`);
await shot("overview");

// It refreshes in place: the page is not reloaded, and the update count goes up.
await page.evaluate(() => { window.__notReloaded = true; });
const before = Number(await page.locator("#updated").getAttribute("data-refreshes"));
await page.waitForFunction((n) => Number(document.querySelector("#updated").dataset.refreshes) > n, before, { timeout: 20000 });
assert.equal(await page.evaluate(() => window.__notReloaded), true, "refreshing must not reload the page");

// Keyboard: Tab reaches the sort buttons, Enter sorts, and focus survives the re-render.
const sortButton = page.locator('button[data-focus="sort-contact_24h_rate"]');
await sortButton.focus();
await page.keyboard.press("Enter");
await page.waitForFunction(() => location.hash.includes("sort=contact_24h_rate"));
await page.locator('th[aria-sort="ascending"] button[data-focus="sort-contact_24h_rate"]').waitFor();
const sortedFocus = await page.evaluate(() => document.activeElement?.dataset.focus);
assert.equal(sortedFocus, "sort-contact_24h_rate", "focus stays on the sort button");
const rates = await page.$$eval("table.overview tbody tr:not(.city)", (rows) => rows.map((r) =>
  r.querySelector('[data-key$="|contact_24h_rate"]').dataset.val));
const nums = rates.filter((r) => r !== "—").map((r) => Number(r.replace("%", "")));
assert.deepEqual(nums, [...nums].sort((a, b) => a - b), "sorted ascending by the 24-hour contact rate");

// Laptop and meeting-room sizes: no sideways page scroll, type grows with the screen.
await page.setViewportSize({ width: 1280, height: 800 });
await noSidewaysScroll("overview at 1280 px");
const small = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
await page.setViewportSize({ width: 2560, height: 1440 });
await noSidewaysScroll("overview at 2560 px");
const large = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
assert.ok(large >= small * 1.25, `type grows on a large screen (${small}px → ${large}px)`);
await shot("overview-meeting-room", { fullPage: false });
await page.setViewportSize({ width: 1440, height: 900 });

// --- zone detail ---------------------------------------------------------------------
await open("/zone/Z07?window=28d");
await page.locator("svg.chart").nth(41).waitFor({ timeout: 60000 });
assert.match(await text("main h1"), /Brooklyn Central/);
assert.match(await figure("card|Z07|open_investigations"), COUNT);
assert.match(await figure("card|Z07|caseload_avg"), DECIMAL);
assert.match(await figure("panel|Z07|contact_24h_rate"), PERCENT);
const drawn = await page.$$eval(".chart .zone-a path.line", (ps) => ps.filter((p) => (p.getAttribute("d") ?? "").includes("L")).length);
assert.ok(drawn >= 30, `trend lines are drawn (${drawn} of 42 have at least two points)`);
await noSidewaysScroll("zone detail");
await shot("zone-detail");

// --- session -------------------------------------------------------------------------
await open("/session?zones=Z01,Z07&window=28d");
await page.locator(".session-table tbody tr").nth(20).waitFor({ timeout: 60000 });
assert.match(await text("main h1"), /Bronx North and Brooklyn Central/);
assert.match(await text("main .lede"), /Weekly snapshot for \d{4}-W\d{2}/, "the newest frozen week is shown by default");
assert.match(await figure("session|Z01|open_investigations"), COUNT);
assert.match(await figure("session|Z07|contact_24h_rate"), PERCENT);
assert.match(await figure("session|citywide|contact_24h_rate"), PERCENT);
assert.match(await text(".session-table .rank"), /^\d+(st|nd|rd|th) (best|highest) of \d+$/);
assert.equal(await page.locator(".panels.small svg.chart").count(), 21, "a 12-week trend per indicator");
// A frozen week's point-in-time figures are end-of-week values, not "now".
const frozenTags = await page.$$eval(".session-table .now-tag", (ts) => ts.map((t) => t.textContent));
assert.ok(frozenTags.length > 0 && frozenTags.every((t) => t === "end of week"), `frozen tags read "end of week" (${frozenTags})`);
if (viewer) {
  assert.match(await text(".candidates p"), /reviewers only/, "a viewer sees no case candidates");
  expectAuthErrors = true; // signed out, the refresh is refused until the reviewer signs in
  await signOut();
  // As on an instance without tokens: the page holds none, and the server says in the
  // session pack why there are no case candidates. Here the token is added on the way out,
  // so the server speaks for a viewer; the page must show its note, not a sign-in hint.
  const withViewer = (route) => route.continue({ headers: { ...route.request().headers(), authorization: `Bearer ${viewer}` } });
  await page.route(`${base}/api/v1/**`, withViewer);
  await page.reload(); // the same address: a fresh page, not the figures already shown
  await page.locator(".session-table tbody tr").nth(20).waitFor({ timeout: 60000 });
  const packResp = await fetch(`${base}/api/v1/session?zones=Z01,Z07`, { headers: { Authorization: `Bearer ${viewer}` } });
  const note = (await packResp.json()).case_candidates_note;
  assert.ok(note, "the session pack explains why it carries no case candidates");
  const shownNote = await text(".candidates p");
  assert.doesNotMatch(shownNote, /sign in/i, "no sign-in hint when the server gave its reason");
  assert.equal(shownNote.toLowerCase(), `${note.toLowerCase()}${/[.!?]$/.test(note) ? "" : "."}`, "the server's note is shown");
  await page.unroute(`${base}/api/v1/**`, withViewer);
  await signIn(reviewer);
  await page.locator(".cand-table tbody tr").first().waitFor({ timeout: 30000 });
  expectAuthErrors = false;
  assert.ok(await page.locator(".cand-table tbody tr").count() > 0, "a reviewer sees case candidates");
}
await noSidewaysScroll("session");
await shot("session");
// Live rather than frozen: chosen from the week list, read from the comparison endpoint.
await page.focus("#session-week");
await page.selectOption("#session-week", "live");
await page.waitForFunction(() => /Live figures/.test(document.querySelector("main .lede")?.textContent ?? ""), null, { timeout: 30000 });
assert.match(await figure("session|Z07|open_investigations"), COUNT);
assert.match(await figure("session|citywide|contact_24h_rate"), PERCENT);
assert.equal(await page.evaluate(() => document.activeElement?.id), "session-week", "the week picker keeps focus");
const liveTags = await page.$$eval(".session-table .now-tag", (ts) => ts.map((t) => t.textContent));
assert.ok(liveTags.length > 0 && liveTags.every((t) => t === "now"), `live tags read "now" (${liveTags})`);
if (reviewer) await page.locator(".cand-table tbody tr").first().waitFor({ timeout: 30000 });
// The README's picture: the top of the session view on a wide screen, as opened from a
// bookmark (the default refresh interval; the reviewer's sign-in lasts for the tab).
await page.setViewportSize({ width: 1600, height: 1000 });
await page.goto(`${base}/#/session?zones=Z01,Z07&window=28d`);
await page.locator(".session-table tbody tr").nth(20).waitFor({ timeout: 30000 });
await shot("session-view", { fullPage: false });
await page.setViewportSize({ width: 1440, height: 900 });

// --- pipeline health -----------------------------------------------------------------
await open("/health");
await page.locator("#dlq-h").waitFor({ timeout: 30000 });
assert.match(await figure("health|fresh"), /\d+(\.\d)? (s|min|h|days) behind/);
assert.match(await figure("health|lag"), COUNT);
assert.match(await figure("counter|Events applied"), COUNT);
assert.ok(await page.locator(".bars tbody tr").count() > 0, "dead letters are listed by reason");
await shot("health");

// --- the public role -----------------------------------------------------------------
// It reads the aggregate routes with small cells suppressed and is refused alerts, status
// and the session pack: every view still works, and says what this token cannot see.
if (publicToken) {
  expectForbidden = true;
  expectAuthErrors = true; // between signing out and in, the open view's refresh is refused
  await signOut();
  await signIn(publicToken);
  expectAuthErrors = false;

  await open("/overview?window=28d");
  await page.locator("table.overview tbody tr").nth(21).waitFor({ timeout: 60000 });
  assert.equal(await page.locator("table.overview tbody tr").count(), 22, "public: citywide and 21 zones");
  assert.match(await text(".thresholds-note"), /management only/, "public: why no cell is marked");
  assert.equal(await page.locator("table.overview .breach-warning, table.overview .breach-critical").count(), 0, "public: no cell marked");
  const cells = await overviewCells();
  const hidden = cells.filter((c) => c.val === "suppressed");
  const shown = cells.filter((c) => c.val !== "suppressed" && c.val !== "—");
  console.log(`public overview: ${hidden.length} of ${cells.length} cells suppressed, ${shown.length} shown`);
  assert.ok(shown.length >= cells.length / 2, `public: most figures are shown (${shown.length} of ${cells.length})`);
  assert.match(await figure("ov|citywide|open_investigations"), COUNT, "public: citywide open investigations shown");
  for (const c of shown) {
    assert.ok(COUNT.test(c.val) || PERCENT.test(c.val) || DECIMAL.test(c.val), `public: ${c.key} shows a figure (${c.val})`);
    const ps = parts(c);
    assert.ok(ps.length > 0, `public: ${c.key} gives what it rests on (${c.val}, "${c.title}")`);
    assert.ok(!ps.some(fewCases), `public: ${c.key} rests on 1 to 10 cases and is shown (${c.val}, "${c.title}")`);
  }
  for (const c of hidden) {
    assert.equal(c.text, "suppressed", `public: ${c.key} reads "suppressed"`);
    assert.doesNotMatch(c.text + c.title, /\d/, `public: ${c.key} leaks no digit`);
    assert.match(c.title, /too few cases/, `public: ${c.key} says why`);
    assert.match(c.cls, /\bsuppressed\b/);
  }
  if (viewerSmall > 0) assert.ok(hidden.length > 0, `public: cells are suppressed (management saw ${viewerSmall} small ones)`);
  if (hidden.length) assert.match(await text(".thresholds-note"), /too few cases to publish safely/, "public: the legend says what suppressed means");
  await noSidewaysScroll("public overview");
  await shot("public-overview");

  await open("/zone/Z07?window=28d");
  await page.locator("svg.chart").nth(41).waitFor({ timeout: 120000 });
  assert.match(await text("main h1"), /Brooklyn Central/);
  assert.match(await figure("card|Z07|open_investigations"), new RegExp(`${COUNT.source}|^suppressed$`));
  assert.match(await figure("card|city|open_investigations"), COUNT);
  assert.match(await text(".thresholds-note"), /management only/, "public: the zone detail says why no cell is marked");
  assert.equal(await page.locator(".notice").count(), 0, "public: the zone detail shows no error");
  await noSidewaysScroll("public zone detail");
  await shot("public-zone-detail");

  await open("/session?zones=Z01,Z07&window=28d");
  assert.match(await text(".session-restricted h2"), /for management/, "public: the session explains its pack is for management");
  assert.equal(await page.locator(".notice").count(), 0, "public: the session shows no error");
  await shot("public-session");
  // The live comparison is an aggregate route the public role reads, suppressed.
  await page.getByRole("button", { name: "Show live figures for these zones" }).click();
  await page.locator(".session-table tbody tr").nth(20).waitFor({ timeout: 60000 });
  assert.match(await text("main .lede"), /Live figures/);
  assert.match(await figure("session|citywide|contact_24h_rate"), PERCENT);
  assert.match(await text(".candidates p"), /reviewers only/, "public: no case candidates");
  assert.match(await text(".thresholds-note"), /management only/);
  await shot("public-session-live");

  await open("/health");
  assert.match(await text(".health-restricted h2"), /needs a viewer token/, "public: the health view says what it needs");
  assert.equal(await page.locator(".notice").count(), 0, "public: the health view shows no error");
  await shot("public-health");
  expectForbidden = false;
}

await browser.close();
assert.deepEqual(external, [], "the dashboard must load nothing from other hosts");
assert.deepEqual(problems, [], "no script errors in the browser");
console.log("all dashboard views checked");
