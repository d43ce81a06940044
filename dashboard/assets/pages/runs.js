// #/runs: the runs, newest first, kept live from the event stream; filters by task, status, tag,
// queue and creation time (in the address, so a filtered list is a link); bulk cancel and replay
// of a selection or of everything the filter matches.
import {h, replace, route, statusBadge, formatTime, formatDuration, formatFullTime, toast, confirmDialog, STATUSES, TERMINAL} from '../dom.js';
import {api, filterQuery, filterBody, stream, ApiError} from '../api.js';
import {RunsChart} from '../chart.js';

const RANGES = [
  ['', 'Any time'], ['15m', 'Last 15 minutes'], ['1h', 'Last hour'], ['24h', 'Last 24 hours'], ['7d', 'Last 7 days'],
  ['custom', 'Custom…'],
];
const RANGE_MS = {'15m': 15 * 60_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000};

function list(value) {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** The filter in the address (#/runs?status=failed,crashed&task=x&tag=a&queue=q&range=1h). */
function readQuery(query) {
  return {
    status: list(query.get('status')).filter((s) => STATUSES.includes(s)),
    task: list(query.get('task')),
    tag: list(query.get('tag')),
    queue: query.get('queue') ?? '',
    range: query.get('range') ?? '',
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
  };
}

function writeQuery(state) {
  const q = new URLSearchParams();
  if (state.status.length) q.set('status', state.status.join(','));
  if (state.task.length) q.set('task', state.task.join(','));
  if (state.tag.length) q.set('tag', state.tag.join(','));
  if (state.queue) q.set('queue', state.queue);
  if (state.range) q.set('range', state.range);
  if (state.range === 'custom' && state.from) q.set('from', state.from);
  if (state.range === 'custom' && state.to) q.set('to', state.to);
  const s = q.toString().replaceAll('%2C', ',');
  return `#/runs${s ? `?${s}` : ''}`;
}

/** The API's filter for the state (times in milliseconds). */
function apiFilter(state) {
  const f = {status: state.status, task: state.task, tag: state.tag, queue: state.queue};
  if (RANGE_MS[state.range]) f.created_from = String(Date.now() - RANGE_MS[state.range]);
  if (state.range === 'custom') {
    const from = state.from ? new Date(state.from).getTime() : NaN;
    const to = state.to ? new Date(state.to).getTime() : NaN;
    if (Number.isFinite(from)) f.created_from = String(from);
    if (Number.isFinite(to)) f.created_to = String(to);
  }
  return f;
}

function isEmptyFilter(f) {
  return !f.status.length && !f.task.length && !f.tag.length && !f.queue && !f.created_from && !f.created_to;
}

function runDuration(r) {
  const start = r.started_at;
  if (!start) return null;
  return (r.finished_at ?? Date.now()) - start;
}

export function runsPage(query) {
  let state = readQuery(query);
  const runs = new Map();     // id → run, in the order shown
  let order = [];
  const selected = new Set();
  let cursor = null;
  let loading = false;
  let reloadTimer = null;
  let lastReload = 0;
  let tasks = [];
  let queues = [];

  // ---------------------------------------------------------------- filters
  const taskSelect = h('select', {id: 'filter-task', class: 'input', 'aria-label': 'Task'});
  const queueSelect = h('select', {id: 'filter-queue', class: 'input', 'aria-label': 'Queue'});
  const tagInput = h('input', {id: 'filter-tag', class: 'input', type: 'search', placeholder: 'tag, another', 'aria-label': 'Tags (all of)', 'data-shortcut': '/'});
  const rangeSelect = h('select', {id: 'filter-range', class: 'input', 'aria-label': 'Created'},
    RANGES.map(([v, label]) => h('option', {value: v}, label)));
  const fromInput = h('input', {id: 'filter-from', class: 'input', type: 'datetime-local', step: 1, 'aria-label': 'Created from'});
  const toInput = h('input', {id: 'filter-to', class: 'input', type: 'datetime-local', step: 1, 'aria-label': 'Created to'});
  const custom = h('div', {class: 'filter-custom'}, h('label', {for: 'filter-from'}, 'From'), fromInput, h('label', {for: 'filter-to'}, 'To'), toInput);
  const statusChips = h('div', {class: 'chips', role: 'group', 'aria-label': 'Status'});

  function renderStatusChips() {
    replace(statusChips, STATUSES.map((s) => h('button', {
      type: 'button', class: ['chip', `chip-${s}`], 'aria-pressed': state.status.includes(s) ? 'true' : 'false', dataset: {status: s},
      onclick: () => {
        const next = state.status.includes(s) ? state.status.filter((x) => x !== s) : [...state.status, s];
        navigate({...state, status: next});
      },
    }, s.replace('_', ' '))));
  }

  function renderSelects() {
    replace(taskSelect, h('option', {value: ''}, 'All tasks'),
      tasks.map((t) => h('option', {value: t.id, selected: state.task.includes(t.id)}, t.id)),
      state.task.filter((id) => !tasks.some((t) => t.id === id)).map((id) => h('option', {value: id, selected: true}, id)));
    replace(queueSelect, h('option', {value: ''}, 'All queues'),
      queues.map((q) => h('option', {value: q.name, selected: state.queue === q.name}, q.name)),
      state.queue && !queues.some((q) => q.name === state.queue) ? h('option', {value: state.queue, selected: true}, state.queue) : null);
  }

  function syncInputs() {
    tagInput.value = state.tag.join(', ');
    rangeSelect.value = state.range;
    fromInput.value = state.from;
    toInput.value = state.to;
    custom.hidden = state.range !== 'custom';
    renderStatusChips();
    renderSelects();
    clearButton.disabled = isEmptyFilter(apiFilter(state)) && !state.range;
  }

  function navigate(next) {
    const hash = writeQuery(next);
    if (location.hash === hash) return;
    location.hash = hash;  // → onQuery
  }

  taskSelect.addEventListener('change', () => navigate({...state, task: taskSelect.value ? [taskSelect.value] : []}));
  queueSelect.addEventListener('change', () => navigate({...state, queue: queueSelect.value}));
  tagInput.addEventListener('change', () => navigate({...state, tag: list(tagInput.value)}));
  rangeSelect.addEventListener('change', () => navigate({...state, range: rangeSelect.value}));
  fromInput.addEventListener('change', () => navigate({...state, from: fromInput.value}));
  toInput.addEventListener('change', () => navigate({...state, to: toInput.value}));
  const clearButton = h('button', {type: 'button', class: 'btn btn-ghost', onclick: () => navigate({status: [], task: [], tag: [], queue: '', range: '', from: '', to: ''})}, 'Clear filters');

  const filters = h('form', {class: 'filters', 'aria-label': 'Filter runs', onsubmit: (e) => e.preventDefault()},
    h('div', {class: 'filter-row'},
      h('div', {class: 'field'}, h('label', {for: 'filter-task'}, 'Task'), taskSelect),
      h('div', {class: 'field'}, h('label', {for: 'filter-queue'}, 'Queue'), queueSelect),
      h('div', {class: 'field'}, h('label', {for: 'filter-tag'}, 'Tags'), tagInput),
      h('div', {class: 'field'}, h('label', {for: 'filter-range'}, 'Created'), rangeSelect),
      custom, clearButton),
    statusChips);

  // ---------------------------------------------------------------- the table
  const tbody = h('tbody');
  const selectAll = h('input', {type: 'checkbox', 'aria-label': 'Select every run shown', onchange: () => {
    if (selectAll.checked) order.forEach((id) => selected.add(id));
    else selected.clear();
    renderRows();
  }});
  const table = h('table', {class: 'table runs-table'},
    h('thead', null, h('tr', null,
      h('th', {class: 'col-check'}, selectAll), h('th', null, 'Run'), h('th', null, 'Task'), h('th', null, 'Status'),
      h('th', null, 'Created'), h('th', {class: 'num'}, 'Duration'), h('th', {class: 'num'}, 'Attempts'), h('th', null, 'Tags'))),
    tbody);
  const empty = h('p', {class: 'empty', hidden: true});
  const more = h('button', {type: 'button', class: 'btn', hidden: true, onclick: () => load(true)}, 'Load more');
  const errorBox = h('div', {class: 'error-box', role: 'alert', hidden: true});

  function row(r) {
    const dur = runDuration(r);
    return h('tr', {dataset: {runId: r.id, status: r.status}, class: selected.has(r.id) ? 'selected' : null},
      h('td', {class: 'col-check'}, h('input', {type: 'checkbox', checked: selected.has(r.id), 'aria-label': `Select run ${r.id}`,
        onchange: (e) => {
          if (e.target.checked) selected.add(r.id);
          else selected.delete(r.id);
          e.target.closest('tr').classList.toggle('selected', e.target.checked);
          renderBulk();
        }})),
      h('td', null, h('a', {href: route('runs', r.id), class: 'mono'}, r.id)),
      h('td', null, h('a', {href: route('tasks', r.task_id, 'test'), class: 'task-link', title: `Test ${r.task_id}`}, r.task_id)),
      h('td', null, statusBadge(r.status)),
      h('td', {title: formatFullTime(r.created_at)}, formatTime(r.created_at)),
      h('td', {class: 'num'}, dur === null ? '—' : formatDuration(dur)),
      h('td', {class: 'num'}, String(r.attempts?.length ?? 0)),
      h('td', null, (r.tags ?? []).map((t) => h('span', {class: 'tag'}, t))));
  }

  function renderRows() {
    replace(tbody, order.map((id) => row(runs.get(id))));
    selectAll.checked = order.length > 0 && order.every((id) => selected.has(id));
    selectAll.indeterminate = !selectAll.checked && order.some((id) => selected.has(id));
    empty.hidden = order.length > 0 || loading;
    replace(empty, isEmptyFilter(apiFilter(state)) ? 'No runs yet. Trigger one from a task\'s Test page.' : 'No runs match these filters.');
    more.hidden = !cursor;
    renderBulk();
  }

  // ---------------------------------------------------------------- bulk actions
  const bulk = h('div', {class: 'bulk', role: 'region', 'aria-label': 'Bulk actions'});

  async function bulkAction(kind, body, what) {
    const verb = kind === 'cancel' ? 'Cancel' : 'Replay';
    if (!await confirmDialog(`${verb} ${what}?`, kind === 'cancel'
      ? 'Runs that have not ended are canceled, with their children. Runs that ended are left as they are.'
      : 'Each run is triggered again with its payload, tags and machine, as a new run.', `${verb} runs`)) return;
    try {
      const res = await api(`/runs/${kind}`, {method: 'POST', body});
      const msg = kind === 'cancel'
        ? `Canceled ${res.canceled} of ${res.matched} run${res.matched === 1 ? '' : 's'}${res.skipped ? ` (${res.skipped} had already ended)` : ''}`
        : `Replayed ${res.replayed} of ${res.matched} run${res.matched === 1 ? '' : 's'}${res.failed?.length ? `; ${res.failed.length} failed` : ''}`;
      toast(res.truncated ? `${msg}. More runs matched than one request takes: run it again for the rest.` : `${msg}.`, 'ok');
      selected.clear();
      load();
    } catch (e) {
      toast(`${verb} failed: ${e.message}`, 'error');
    }
  }

  function renderBulk() {
    const n = selected.size;
    const f = apiFilter(state);
    const emptyFilter = isEmptyFilter(f);
    const why = emptyFilter ? 'Set a filter first: an action on every run needs one.' : null;
    replace(bulk,
      h('span', {class: 'bulk-count'}, n ? `${n} selected` : 'None selected'),
      h('button', {type: 'button', class: 'btn', disabled: !n, onclick: () => bulkAction('cancel', {ids: [...selected]}, `${n} selected run${n === 1 ? '' : 's'}`)}, 'Cancel selected'),
      h('button', {type: 'button', class: 'btn', disabled: !n, onclick: () => bulkAction('replay', {ids: [...selected]}, `${n} selected run${n === 1 ? '' : 's'}`)}, 'Replay selected'),
      h('span', {class: 'bulk-sep', 'aria-hidden': 'true'}),
      h('span', {class: 'muted'}, 'Every run matching the filter:'),
      h('button', {type: 'button', class: 'btn', disabled: emptyFilter, title: why, onclick: () => bulkAction('cancel', {filter: filterBody(apiFilter(state))}, 'every unfinished run matching the filter')}, 'Cancel all'),
      h('button', {type: 'button', class: 'btn', disabled: emptyFilter, title: why, onclick: () => bulkAction('replay', {filter: filterBody(apiFilter(state))}, 'every run matching the filter')}, 'Replay all'));
  }

  // ---------------------------------------------------------------- loading
  async function load(append = false) {
    loading = true;
    const f = apiFilter(state);
    const limit = append ? 50 : Math.min(500, Math.max(50, order.length));
    try {
      const data = await api(`/runs${filterQuery(f, {limit, cursor: append ? cursor : null})}`);
      if (!append) {
        runs.clear();
        order = [];
      }
      for (const r of data.runs) {
        if (!runs.has(r.id)) order.push(r.id);
        runs.set(r.id, r);
      }
      cursor = data.next_cursor;
      errorBox.hidden = true;
    } catch (e) {
      errorBox.hidden = false;
      replace(errorBox, h('strong', null, 'The runs could not be loaded. '), e.message, e instanceof ApiError && e.problems.length
        ? h('ul', null, e.problems.map((p) => h('li', null, h('code', null, String(p.path ?? '')), ' ', String(p.message ?? '')))) : null);
    } finally {
      loading = false;
      lastReload = Date.now();
      renderRows();
    }
  }

  /** At most one reload a second while events arrive. */
  function scheduleReload() {
    if (reloadTimer) return;
    const wait = Math.max(0, 1000 - (Date.now() - lastReload));
    reloadTimer = setTimeout(() => {
      reloadTimer = null;
      load();
    }, wait);
  }

  const unsubscribe = stream.subscribe((e) => {
    if (e.type === 'resync') {
      scheduleReload();
      return;
    }
    const r = runs.get(e.run_id);
    if (r) {
      r.status = e.status;
      const tr = tbody.querySelector(`tr[data-run-id="${CSS.escape(e.run_id)}"]`);
      if (tr) {
        tr.dataset.status = e.status;
        const cell = tr.children[3];
        replace(cell, statusBadge(e.status));
      }
    }
    scheduleReload();
  });

  // Durations of executing runs keep counting; without the stream, the list reloads itself.
  const ticker = setInterval(() => {
    if (stream.state !== 'live') load();
    else if (order.some((id) => !TERMINAL.has(runs.get(id)?.status))) renderRows();
  }, 5000);

  const chart = new RunsChart({minutes: 30});

  (async () => {
    try {
      const [t, q] = await Promise.all([api('/tasks'), api('/queues')]);
      tasks = t.tasks ?? [];
      queues = q.queues ?? [];
      renderSelects();
    } catch {
      // The table's own load says what is wrong.
    }
  })();

  const element = h('section', {class: 'page page-runs', 'aria-labelledby': 'page-title'},
    h('div', {class: 'page-head'}, h('h1', {id: 'page-title'}, 'Runs'),
      h('p', {class: 'muted'}, 'Newest first, updated live.')),
    chart.element,
    filters, errorBox,
    h('div', {class: 'card card-flush'}, bulk, h('div', {class: 'table-wrap'}, table), empty, h('div', {class: 'table-foot'}, more)));

  syncInputs();
  load();

  return {
    element,
    onQuery(q) {
      state = readQuery(q);
      selected.clear();
      syncInputs();
      order = [];
      cursor = null;
      load();
    },
    dispose() {
      unsubscribe();
      chart.dispose();
      clearTimeout(reloadTimer);
      clearInterval(ticker);
    },
  };
}
