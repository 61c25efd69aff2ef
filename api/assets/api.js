// Talking to the API: the bearer token from the sign-in box, JSON errors turned into
// messages people can act on, and "this server has no such route yet" told apart from
// "no such thing".

const TOKEN_KEY = "childstat.token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  // `detail` is the server's own message, kept where `message` was reworded for people
  // (a 403's reason, say, which can explain more than "not allowed").
  constructor(status, code, message, path, detail = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.path = path;
    this.detail = detail;
  }

  // The server answered that the route does not exist at all (an older server).
  get routeMissing() {
    return this.status === 404 && /no such route/i.test(this.message);
  }

  get signInNeeded() {
    return this.status === 401;
  }

  get forbidden() {
    return this.status === 403;
  }
}

export async function getText(path) {
  const headers = {};
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let resp;
  try {
    resp = await fetch(path, { headers, cache: "no-store" });
  } catch (e) {
    throw new ApiError(0, "network", "The server cannot be reached. Retrying shortly.", path);
  }
  const text = await resp.text();
  if (resp.ok) return text;
  let code = `http_${resp.status}`;
  let message = `The server answered ${resp.status} for ${path}.`;
  let detail = null;
  try {
    const body = JSON.parse(text);
    code = body.error ?? code;
    detail = body.message ?? null;
    message = detail ?? message;
  } catch {
    // Not JSON (a proxy's page, say): keep the generic message.
  }
  if (resp.status === 401) message = "Sign in with an access token to see this.";
  if (resp.status === 403) message = "Your access token does not allow this view.";
  throw new ApiError(resp.status, code, message, path, detail);
}

export async function get(path) {
  return JSON.parse(await getText(path));
}

// Like get, but a route this server does not have gives null instead of an error, so a
// view can show what exists and say what does not.
export async function optional(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e instanceof ApiError && e.routeMissing) return null;
    throw e;
  }
}

// Runs async tasks at most `limit` at a time: browsers allow only a few connections per
// host, and a burst of forty history queries should not starve the overview's refresh.
export async function pooled(tasks, limit = 6) {
  const results = new Array(tasks.length);
  let next = 0;
  async function worker() {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

// Runs `load`; a 403 (the caller's role may not read that route) gives `fallback` instead,
// so a view can say what this token cannot see and show the rest.
export async function unlessForbidden(load, fallback) {
  try {
    return await load();
  } catch (e) {
    if (e instanceof ApiError && e.forbidden) return fallback(e);
    throw e;
  }
}

// A server note ("case candidates are disabled until …") as a sentence.
export function sentence(note) {
  const t = String(note ?? "").trim();
  if (!t) return "";
  return `${t[0].toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? "" : "."}`;
}

export const enc = encodeURIComponent;
