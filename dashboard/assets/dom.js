// Building the page without innerHTML: every string from the API becomes a text node (or an
// attribute set through the DOM), so a hostile payload is shown, never run.

/**
 * h('a', {href: '#/runs', class: 'link'}, 'text', child, [more, children])
 * Attributes: `class`, `dataset` (an object), `style` (an object), `on<event>` (a function),
 * booleans (true sets the attribute, false/null/undefined leave it out), anything else through
 * setAttribute. Children: strings and numbers become text nodes; null, undefined and false are
 * skipped; arrays are flattened.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The same for SVG elements. */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value));
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) el.dataset[k] = String(v);
    } else if (key === 'style' && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) el.style.setProperty(k, String(v));
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'value' && 'value' in el && el.namespaceURI !== SVG_NS) {
      el.value = String(value);
    } else if (key === 'checked' || key === 'selected' || key === 'disabled') {
      el[key] = Boolean(value);
      if (value) el.setAttribute(key, '');
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces the children of `el` with `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A hash link to a route of the dashboard; `parts` are encoded one by one. */
export function route(...parts) {
  return '#/' + parts.map((p) => encodeURIComponent(String(p))).join('/');
}

// ------------------------------------------------------------------ formatting

export function formatTime(ms) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  const time = d.toLocaleTimeString(undefined, {hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false});
  return sameDay ? time : `${d.toLocaleDateString(undefined, {month: 'short', day: 'numeric'})} ${time}`;
}

export function formatFullTime(ms) {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const join = (a, unitA, b, unitB) => (b ? `${a} ${unitA} ${b} ${unitB}` : `${a} ${unitA}`);
  if (ms < 3_600_000) return join(Math.floor(ms / 60_000), 'min', Math.round((ms % 60_000) / 1000), 's');
  return join(Math.floor(ms / 3_600_000), 'h', Math.round((ms % 3_600_000) / 60_000), 'min');
}

export function formatRelative(ms, now = Date.now()) {
  const diff = ms - now;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(undefined, {numeric: 'auto'});
  if (abs < 60_000) return rtf.format(Math.round(diff / 1000), 'second');
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), 'minute');
  if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), 'hour');
  return rtf.format(Math.round(diff / 86_400_000), 'day');
}

/** JSON for display: pretty, and never throwing. */
export function pretty(value) {
  try {
    return JSON.stringify(value, null, 2) ?? 'null';
  } catch {
    return String(value);
  }
}

export const TERMINAL = new Set(['completed', 'failed', 'canceled', 'timed_out', 'expired', 'crashed']);
export const STATUSES = ['delayed', 'queued', 'executing', 'waiting', 'retrying', 'completed', 'failed', 'canceled',
  'timed_out', 'expired', 'crashed'];

/** A status badge. */
export function statusBadge(status) {
  const s = status ?? 'unknown';
  return h('span', {class: ['badge', `status-${s}`], dataset: {status: s}}, s.replace('_', ' '));
}

/** A small notice in the corner that goes away by itself (role=status, read by screen readers). */
export function toast(message, kind = 'info') {
  let box = document.getElementById('toasts');
  if (!box) return;
  const el = h('div', {class: ['toast', `toast-${kind}`], role: kind === 'error' ? 'alert' : 'status'}, message);
  box.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

/** A confirmation in a modal <dialog>; resolves to true or false. */
export function confirmDialog(title, message, confirmLabel = 'Confirm', dismissLabel = 'Go back') {
  return new Promise((resolve) => {
    const dialog = h('dialog', {class: 'dialog', 'aria-labelledby': 'dialog-title'},
      h('h2', {id: 'dialog-title'}, title),
      h('p', null, message),
      h('form', {method: 'dialog', class: 'dialog-actions'},
        h('button', {value: 'cancel', class: 'btn', autofocus: true}, dismissLabel),
        h('button', {value: 'ok', class: 'btn btn-primary'}, confirmLabel)));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
