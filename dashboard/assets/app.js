// The dashboard's shell: hash routes, the theme, the live indicator, sign-in and shortcuts.
//   #/runs[?filters]      runs, live, with filters and bulk actions
//   #/runs/<id>           one run
//   #/tasks               tasks
//   #/tasks/<id>/test     the Test page of a task
//   #/queues              queues
//   #/schedules           schedules
import {h, replace} from './dom.js';
import {onUnauthorized, stream} from './api.js';
import {runsPage} from './pages/runs.js';
import {runPage} from './pages/run.js';
import {tasksPage} from './pages/tasks.js';
import {testPage} from './pages/test.js';
import {queuesPage} from './pages/queues.js';
import {schedulesPage} from './pages/schedules.js';

const main = document.getElementById('main');
let current = null;  // the page shown: {dispose()}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return {parts, query: new URLSearchParams(query)};
}

function resolve({parts, query}) {
  const [section, id, sub] = parts;
  if (!section || section === 'runs') {
    if (id) return {nav: 'runs', title: `Run ${id}`, page: () => runPage(id)};
    return {nav: 'runs', title: 'Runs', page: () => runsPage(query)};
  }
  if (section === 'tasks') {
    if (id && sub === 'test') return {nav: 'tasks', title: `Test ${id}`, page: () => testPage(id)};
    return {nav: 'tasks', title: 'Tasks', page: () => tasksPage()};
  }
  if (section === 'queues') return {nav: 'queues', title: 'Queues', page: () => queuesPage()};
  if (section === 'schedules') return {nav: 'schedules', title: 'Schedules', page: () => schedulesPage()};
  return {nav: null, title: 'Not found', page: () => ({
    element: h('section', {class: 'page'}, h('h1', null, 'Not found'),
      h('p', null, 'There is no page at this address. ', h('a', {href: '#/runs'}, 'Go to the runs.'))),
  })};
}

let lastKey = '';

function render() {
  const target = resolve(parseHash());
  // Only the query changed on the runs list (its filters): the page updates itself.
  const key = location.hash.split('?')[0] || '#/runs';
  if (current && key === lastKey && current.onQuery) {
    current.onQuery(parseHash().query);
    return;
  }
  lastKey = key;
  current?.dispose?.();
  current = target.page();
  replace(main, current.element);
  document.title = `${target.title} · taskkit`;
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === target.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // Focus moves to the new page's heading, so that a screen reader announces it.
  const heading = main.querySelector('h1');
  if (heading && document.activeElement === document.body) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({preventScroll: true});
  }
}

// ------------------------------------------------------------------ theme

function systemDark() {
  return window.matchMedia('(prefers-color-scheme: dark)').matches;
}

function applyTheme() {
  const root = document.documentElement;
  const dark = root.dataset.theme ? root.dataset.theme === 'dark' : systemDark();
  const button = document.getElementById('theme-toggle');
  button.setAttribute('aria-pressed', dark ? 'true' : 'false');
  button.title = dark ? 'Light mode (d)' : 'Dark mode (d)';
  button.querySelector('.visually-hidden').textContent = 'Dark mode';
  window.dispatchEvent(new Event('taskkit-theme'));
}

function toggleTheme() {
  const root = document.documentElement;
  const dark = root.dataset.theme ? root.dataset.theme === 'dark' : systemDark();
  root.classList.add('theme-switching');
  root.dataset.theme = dark ? 'light' : 'dark';
  requestAnimationFrame(() => requestAnimationFrame(() => root.classList.remove('theme-switching')));
  try {
    localStorage.setItem('taskkit-theme', root.dataset.theme);
  } catch {
    // private mode: the choice lasts for this page only
  }
  applyTheme();
}

// ------------------------------------------------------------------ sign-in

function showSignIn() {
  const box = document.getElementById('signin');
  if (!box.hidden) return;
  const input = h('input', {type: 'password', id: 'signin-token', autocomplete: 'current-password', required: true, class: 'input'});
  const form = h('form', {class: 'signin-form', onsubmit: (e) => {
    e.preventDefault();
    // The server checks the token, sets its cookie and sends the browser back to /.
    location.href = `/?token=${encodeURIComponent(input.value)}`;
  }},
  h('p', null, h('strong', null, 'Sign in. '), 'This dashboard needs the server\'s token: open the address the server printed (/?token=…), or paste the token here.'),
  h('label', {for: 'signin-token'}, 'Token'), input, h('button', {type: 'submit', class: 'btn btn-primary'}, 'Sign in'));
  replace(box, form);
  box.hidden = false;
}

// ------------------------------------------------------------------ shortcuts

function shortcuts() {
  let pendingG = 0;
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
    if (document.querySelector('dialog[open]')) return;
    if (e.key === 'g') {
      pendingG = Date.now();
      return;
    }
    if (Date.now() - pendingG < 1200) {
      const to = {r: '#/runs', t: '#/tasks', q: '#/queues', s: '#/schedules'}[e.key];
      pendingG = 0;
      if (to) {
        e.preventDefault();
        location.hash = to;
        return;
      }
    }
    if (e.key === 'd') toggleTheme();
    if (e.key === '/') {
      const search = main.querySelector('[data-shortcut="/"]');
      if (search) {
        e.preventDefault();
        search.focus();
      }
    }
  });
}

// ------------------------------------------------------------------ start

document.getElementById('theme-toggle').addEventListener('click', toggleTheme);
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', applyTheme);
applyTheme();

const live = document.getElementById('live');
stream.onState((state) => {
  live.dataset.state = state;
  live.querySelector('.live-text').textContent = {live: 'Live', connecting: 'Connecting…', down: 'Reconnecting…'}[state] ?? state;
});
onUnauthorized(showSignIn);
shortcuts();
if (!location.hash) history.replaceState(null, '', '#/runs');
window.addEventListener('hashchange', render);
render();
stream.start();
