// The REST API and the event stream, as the dashboard uses them. The browser signs in once with
// /?token=… (the server sets an HttpOnly cookie and redirects to /); every request here then goes
// with the cookie, the event stream included.

/** An error answer of the API: {"error": {"code", "message", "details"}}, or a network failure. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details ?? null;
  }

  /** The `details` entries that are {path, message} problems (validation_failed). */
  get problems() {
    return Array.isArray(this.details) ? this.details.filter((d) => d && typeof d === 'object') : [];
  }
}

const listeners = {unauthorized: new Set()};

export function onUnauthorized(fn) {
  listeners.unauthorized.add(fn);
}

/**
 * Calls the API. `body` is sent as JSON; `bodyText` is sent as it is (already JSON text: the
 * Test page splices the editor's text in, so that numbers keep every digit).
 */
export async function api(path, {method = 'GET', body, bodyText, signal} = {}) {
  const headers = {Accept: 'application/json'};
  let payload;
  if (bodyText !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = bodyText;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`/api/v1${path}`, {method, headers, body: payload, credentials: 'same-origin', cache: 'no-store', signal});
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'The server did not answer (is it still running?)');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = data && typeof data === 'object' ? data.error : null;
    const err = new ApiError(res.status, e?.code ?? `http_${res.status}`,
      typeof e?.message === 'string' ? e.message : `The server answered ${res.status}`, e?.details);
    if (res.status === 401) for (const fn of listeners.unauthorized) fn(err);
    throw err;
  }
  return data;
}

export const enc = encodeURIComponent;

/** The query string of a runs filter ({status: [...], task: [...], tag: [...], queue, created_from, created_to}). */
export function filterQuery(filter, extra = {}) {
  const q = new URLSearchParams();
  for (const key of ['status', 'task', 'tag']) {
    const v = filter[key];
    if (Array.isArray(v) ? v.length : v) q.set(key, Array.isArray(v) ? v.join(',') : v);
  }
  for (const key of ['queue', 'created_from', 'created_to']) if (filter[key]) q.set(key, filter[key]);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The body filter of bulk actions: only the fields that are set. */
export function filterBody(filter) {
  const out = {};
  for (const key of ['status', 'task', 'tag']) {
    const v = filter[key];
    if (Array.isArray(v) ? v.length : v) out[key] = v;
  }
  for (const key of ['queue', 'created_from', 'created_to']) if (filter[key]) out[key] = filter[key];
  return out;
}

// ------------------------------------------------------------------ the event stream

/**
 * One EventSource for the whole page (the server holds a thread per stream). Pages subscribe to
 * status events; `missed` (events that left the server's buffer) and reconnections tell them to
 * reload what they show.
 */
class Stream {
  constructor() {
    this.subscribers = new Set();
    this.stateListeners = new Set();
    this.source = null;
    this.state = 'connecting';
    this.retryTimer = null;
  }

  start() {
    if (this.source) return;
    const source = new EventSource('/api/v1/runs/stream');
    this.source = source;
    this.setState('connecting');
    source.addEventListener('open', () => {
      const wasDown = this.state === 'down';
      this.setState('live');
      if (wasDown) this.emit({type: 'resync'});
    });
    source.addEventListener('status', (e) => {
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      this.emit({type: 'status', ...data});
    });
    source.addEventListener('missed', () => this.emit({type: 'resync'}));
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        // The server refused the stream (401, 503 too many streams) or went away: try again later.
        this.source = null;
        this.setState('down');
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.start(), 5000);
      } else {
        this.setState('down');  // EventSource reconnects by itself, with Last-Event-ID
      }
    });
  }

  setState(state) {
    this.state = state;
    for (const fn of this.stateListeners) fn(state);
  }

  emit(event) {
    for (const fn of [...this.subscribers]) {
      try {
        fn(event);
      } catch (e) {
        console.error(e);
      }
    }
  }

  /** fn({type: 'status', run_id, task_id, status, attempt, time} | {type: 'resync'}); returns the unsubscribe function. */
  subscribe(fn) {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  onState(fn) {
    this.stateListeners.add(fn);
    fn(this.state);
  }
}

export const stream = new Stream();
