// #/runs/<id>: one run — payload, output or error, every attempt with its duration and error,
// logs, tags, metadata, parent and children, what it waits for, its streams; cancel, retry,
// replay (as it was, or with an edited payload). Kept live from the event stream, and from the
// run's own events (GET /api/v1/runs/{id}/events: its status with what it waits for, its
// metadata, and each chunk its streams append).
import {h, replace, route, statusBadge, formatTime, formatFullTime, formatDuration, pretty, toast, TERMINAL} from '../dom.js';
import {api, enc, stream, ApiError} from '../api.js';
import {JsonEditor, problemsUnder} from '../editor.js';

function kv(label, value) {
  return [h('dt', null, label), h('dd', null, value ?? '—')];
}

/** What a waiting run waits for: the token, the runs (as links), the batch, or the time (in the user's time zone). */
function waitingFor(w) {
  const runs = (ids) => h('ul', {class: 'plain'}, ids.map((rid) => h('li', null, h('a', {href: route('runs', rid), class: 'mono', dataset: {testid: 'waiting-run'}}, rid))));
  switch (w.kind) {
    case 'token':
      return [h('span', null, 'Waiting for waitpoint token '), h('code', {dataset: {testid: 'waiting-token'}}, w.token_id ?? '')];
    case 'run':
      return [h('span', null, w.any && w.run_ids.length > 1 ? 'Waiting for the first of these runs to end:' : (w.run_ids.length > 1 ? 'Waiting for these runs:' : 'Waiting for run')), runs(w.run_ids ?? [])];
    case 'batch':
      return [h('span', null, 'Waiting for batch '), h('code', {dataset: {testid: 'waiting-batch'}}, w.batch_id ?? ''), h('span', null, ` (${w.run_ids?.length ?? 0} runs)`), runs(w.run_ids ?? [])];
    case 'duration': {
      const local = w.until === null || w.until === undefined ? '—' : new Date(w.until).toLocaleString(undefined, {dateStyle: 'medium', timeStyle: 'medium', timeZoneName: 'short'});
      return [h('span', null, 'Waiting until '), h('time', {dateTime: w.until ? new Date(w.until).toISOString() : '', title: formatFullTime(w.until), dataset: {testid: 'waiting-until'}}, local)];
    }
    default:
      return h('span', null, `Waiting (${w.kind})`);
  }
}

/**
 * The Streams panel: each stream's chunks, appended as the run writes them. Kept across renders
 * (so that a stream scrolled by the reader stays where it is); `set` takes a record's streams,
 * `append` one chunk of the run's events (a gap reloads the record).
 */
function streamsPanel(onGap) {
  const streams = new Map();  // name → {dropped, count, list, head}
  const list = h('div', {class: 'streams'});
  const empty = h('p', {class: 'muted'}, 'None.');
  const element = h('section', {class: 'card', 'aria-labelledby': 'streams-title', dataset: {testid: 'run-streams'}},
    h('h2', {id: 'streams-title'}, 'Streams'), empty, list);

  function chunkItem(index, chunk) {
    return h('li', {class: 'stream-chunk', dataset: {index: String(index)}}, h('code', null, typeof chunk === 'string' ? chunk : JSON.stringify(chunk)));
  }
  function entry(name) {
    let e = streams.get(name);
    if (!e) {
      const items = h('ol', {class: 'stream-chunks', 'aria-label': `Chunks of ${name}`});
      const head = h('span', {class: 'muted'});
      const box = h('div', {class: 'stream', dataset: {stream: name}}, h('h3', null, h('code', null, name), ' ', head), items);
      e = {dropped: 0, count: 0, items, head, box};
      streams.set(name, e);
      const names = [...streams.keys()].sort();
      const next = names[names.indexOf(name) + 1];
      list.insertBefore(box, next ? streams.get(next).box : null);
      empty.hidden = true;
    }
    return e;
  }
  function label(e) {
    replace(e.head, `${e.count - e.dropped} chunks${e.dropped ? `, ${e.dropped} older dropped` : ''}`);
  }
  return {
    element,
    set(record) {
      for (const [name, s] of Object.entries(record ?? {})) {
        const e = entry(name);
        const count = (s.dropped ?? 0) + (s.chunks?.length ?? 0);
        if (count <= e.count) continue;  // the panel has these chunks already (or newer ones)
        e.dropped = s.dropped ?? 0;
        e.count = count;
        replace(e.items, (s.chunks ?? []).map((c, i) => chunkItem(e.dropped + i, c)));
        label(e);
      }
    },
    append(name, index, chunk) {
      const e = entry(name);
      if (index < e.count) return;  // had it
      if (index > e.count) {
        onGap();
        return;
      }
      e.items.append(chunkItem(index, chunk));
      e.count = index + 1;
      label(e);
    },
  };
}

function runLink(link) {
  if (!link) return '—';
  return h('span', {class: 'run-link'}, h('a', {href: route('runs', link.id), class: 'mono'}, link.id),
    link.task_id ? [' ', h('span', {class: 'muted'}, link.task_id)] : null, ' ', link.status ? statusBadge(link.status) : h('span', {class: 'muted'}, '(no longer held)'));
}

export function runPage(id) {
  let data = null;
  let refreshTimer = null;
  let replayOpen = false;
  const body = h('div', {class: 'run-body'}, h('p', {class: 'muted'}, 'Loading…'));
  const title = h('h1', {id: 'page-title', class: 'mono'}, id);
  const badge = h('span', {class: 'run-status'});
  const actions = h('div', {class: 'actions'});
  const replayBox = h('section', {class: 'card replay', hidden: true, 'aria-labelledby': 'replay-title'});
  const streams = streamsPanel(() => scheduleLoad());
  told.pending = new Set();  // the loads under way, each gathering what the run's events tell meanwhile

  async function act(kind) {
    try {
      const res = await api(`/runs/${enc(id)}/${kind}`, {method: 'POST'});
      if (kind === 'replay') {
        toast('Replayed as a new run.', 'ok');
        location.hash = route('runs', res.id);
        return;
      }
      toast(kind === 'cancel' ? 'Canceled.' : 'Queued again.', 'ok');
      load();
    } catch (e) {
      toast(`${kind[0].toUpperCase()}${kind.slice(1)} failed: ${e.message}`, 'error');
    }
  }

  function openReplay() {
    replayOpen = true;
    const editor = new JsonEditor({label: 'Payload of the replay', value: pretty(data.run.payload), rows: 12, name: 'replay', onSubmit: () => submit()});
    const error = h('div', {class: 'error-box', role: 'alert', hidden: true});
    async function submit() {
      const r = editor.check();
      if (!r.ok) {
        editor.goToLine(r.error.line, r.error.column);
        return;
      }
      try {
        const res = await api(`/runs/${enc(id)}/replay`, {method: 'POST', bodyText: `{"payload": ${editor.text}}`});
        toast('Replayed with the edited payload.', 'ok');
        location.hash = route('runs', res.id);
      } catch (e) {
        const problems = e instanceof ApiError ? problemsUnder(e.problems, '/payload') : [];
        if (problems.length) {
          editor.showProblems(problems);
          error.hidden = true;
        } else {
          error.hidden = false;
          replace(error, e.message);
        }
      }
    }
    replace(replayBox,
      h('div', {class: 'card-head'}, h('h2', {id: 'replay-title'}, 'Replay with an edited payload'),
        h('span', {class: 'muted'}, 'A new run of the same task, with this run\'s tags and machine.')),
      editor.element, error,
      h('div', {class: 'actions'},
        h('button', {type: 'button', class: 'btn btn-primary', onclick: submit}, 'Replay'),
        h('button', {type: 'button', class: 'btn btn-ghost', onclick: () => {
          replayOpen = false;
          replayBox.hidden = true;
        }}, 'Close'),
        h('span', {class: 'muted kbd-hint'}, h('kbd', null, 'Ctrl'), '+', h('kbd', null, 'Enter'), ' replays')));
    replayBox.hidden = false;
    editor.textarea.focus();
  }

  function render() {
    const r = data.run;
    replace(badge, statusBadge(r.status));
    const ended = TERMINAL.has(r.status);
    const retryable = ['failed', 'canceled', 'timed_out'].includes(r.status);
    replace(actions,
      h('button', {type: 'button', class: 'btn btn-danger', disabled: ended, onclick: () => act('cancel'), title: ended ? 'The run has ended' : null}, 'Cancel'),
      h('button', {type: 'button', class: 'btn', disabled: !retryable, onclick: () => act('retry'), title: retryable ? null : 'Only a failed, canceled or timed-out run can be retried'}, 'Retry'),
      h('button', {type: 'button', class: 'btn', onclick: () => act('replay')}, 'Replay'),
      h('button', {type: 'button', class: 'btn', onclick: openReplay, 'aria-expanded': replayOpen ? 'true' : 'false'}, 'Replay with edited payload…'),
      h('a', {class: 'btn btn-ghost', href: route('tasks', r.task_id, 'test')}, 'Test page'));

    const started = r.started_at;
    const dur = started ? (r.finished_at ?? Date.now()) - started : null;
    const overview = h('dl', {class: 'kv'},
      kv('Task', h('a', {href: route('tasks', r.task_id, 'test')}, r.task_id)),
      kv('Created', h('span', {title: formatFullTime(r.created_at)}, formatTime(r.created_at))),
      kv('Started', started ? h('span', {title: formatFullTime(started)}, formatTime(started)) : '—'),
      kv('Finished', r.finished_at ? h('span', {title: formatFullTime(r.finished_at)}, formatTime(r.finished_at)) : '—'),
      kv('Duration', dur === null ? '—' : formatDuration(dur)),
      r.run_at ? kv(r.status === 'retrying' ? 'Next attempt' : 'Runs at', formatTime(r.run_at)) : null,
      r.status === 'waiting' && r.waiting_for ? kv('Waiting for', h('div', {class: 'waiting-for', dataset: {testid: 'run-waiting-for'}}, waitingFor(r.waiting_for))) : null,
      kv('Queue', r.queue ? h('a', {href: '#/queues'}, r.queue) : '—'),
      kv('Machine', r.machine && (r.machine.cpu || r.machine.memory) ? `${r.machine.cpu} vCPU, ${r.machine.memory} GB` : 'none (holds no share of the budget)'),
      kv('Priority', String(r.priority ?? 0)),
      r.concurrency_key ? kv('Concurrency key', h('code', null, r.concurrency_key)) : null,
      r.idempotency_key ? kv('Idempotency key', h('code', null, r.idempotency_key)) : null,
      r.batch_id ? kv('Batch', h('code', null, r.batch_id)) : null,
      kv('Parent', runLink(data.parent)),
      kv('Children', data.children?.length ? h('ul', {class: 'plain'}, data.children.map((c) => h('li', null, runLink(c)))) : '—'),
      kv('Tags', r.tags?.length ? r.tags.map((t) => h('a', {class: 'tag', href: `#/runs?tag=${enc(t)}`}, t)) : '—'));

    const result = r.error
      ? h('section', {class: 'card card-error', 'aria-labelledby': 'error-title'}, h('h2', {id: 'error-title'}, 'Error'),
        h('p', {class: 'error-type'}, h('code', null, r.error.type ?? 'error'), r.error.code ? [' ', h('code', null, r.error.code)] : null),
        h('pre', {class: 'code error-message', dataset: {testid: 'run-error'}}, r.error.message ?? ''))
      : h('section', {class: 'card', 'aria-labelledby': 'output-title'}, h('h2', {id: 'output-title'}, 'Output'),
        r.status === 'completed' ? h('pre', {class: 'code', dataset: {testid: 'run-output'}}, pretty(r.output))
          : h('p', {class: 'muted'}, ended ? 'No output.' : 'Not finished yet.'));

    const attempts = h('section', {class: 'card card-flush', 'aria-labelledby': 'attempts-title'},
      h('div', {class: 'card-head'}, h('h2', {id: 'attempts-title'}, `Attempts (${r.attempts?.length ?? 0})`)),
      r.attempts?.length ? h('table', {class: 'table attempts'},
        h('thead', null, h('tr', null, h('th', {class: 'num'}, '#'), h('th', null, 'Started'), h('th', {class: 'num'}, 'Duration'), h('th', null, 'Outcome'))),
        h('tbody', null, r.attempts.map((a) => h('tr', {dataset: {attempt: a.number}},
          h('td', {class: 'num'}, String(a.number)),
          h('td', {title: formatFullTime(a.started_at)}, formatTime(a.started_at)),
          h('td', {class: 'num'}, a.finished_at ? formatDuration(a.finished_at - a.started_at) : `${formatDuration(Date.now() - a.started_at)}…`),
          h('td', {class: 'attempt-outcome'}, a.error
            ? [h('span', {class: 'badge status-failed'}, 'failed'), ' ', h('code', null, a.error.type ?? ''), ' ', h('span', {class: 'attempt-error'}, a.error.message ?? '')]
            : a.finished_at ? h('span', {class: 'badge status-completed'}, 'succeeded') : h('span', {class: 'badge status-executing'}, 'running'))))))
        : h('p', {class: 'empty'}, 'No attempt has started yet.'));

    const logs = r.logs ?? [];
    const logSection = h('section', {class: 'card card-flush', 'aria-labelledby': 'logs-title'},
      h('div', {class: 'card-head'}, h('h2', {id: 'logs-title'}, `Logs (${logs.length})`),
        r.dropped_logs ? h('span', {class: 'muted'}, `${r.dropped_logs} older lines dropped`) : null),
      logs.length ? h('ol', {class: 'logs'}, logs.map((l) => h('li', {class: `log log-${l.level}`},
        h('time', {class: 'log-time', title: formatFullTime(l.time)}, formatTime(l.time)),
        h('span', {class: 'log-level'}, l.level),
        h('span', {class: 'log-attempt', title: 'attempt'}, `#${l.attempt}`),
        h('span', {class: 'log-message'}, l.message),
        l.attributes && Object.keys(l.attributes).length ? h('code', {class: 'log-attrs'}, JSON.stringify(l.attributes)) : null)))
        : h('p', {class: 'empty'}, 'No log lines.'));

    const hookErrors = r.hook_errors?.length
      ? h('section', {class: 'card card-error'}, h('h2', null, 'Hook errors'), r.hook_errors.map((e) => h('pre', {class: 'code'}, `${e.type}: ${e.message}`)))
      : null;

    replace(body,
      h('div', {class: 'grid-2'},
        h('section', {class: 'card', 'aria-labelledby': 'overview-title'}, h('h2', {id: 'overview-title'}, 'Overview'), overview),
        h('div', {class: 'stack'},
          h('section', {class: 'card', 'aria-labelledby': 'payload-title'}, h('h2', {id: 'payload-title'}, 'Payload'), h('pre', {class: 'code', dataset: {testid: 'run-payload'}}, pretty(r.payload))),
          result,
          h('section', {class: 'card', 'aria-labelledby': 'metadata-title'}, h('h2', {id: 'metadata-title'}, 'Metadata'),
            r.metadata && Object.keys(r.metadata).length ? h('pre', {class: 'code', dataset: {testid: 'run-metadata'}}, pretty(r.metadata)) : h('p', {class: 'muted'}, 'None.')))),
      streams.element, attempts, logSection, hookErrors);
    streams.set(r.streams);
  }

  async function load() {
    try {
      const since = {};
      told.pending.add(since);
      let fresh;
      try {
        fresh = await api(`/runs/${enc(id)}`);
      } finally {
        told.pending.delete(since);
      }
      // What the run's events told since this request was sent is newer than its answer.
      Object.assign(fresh.run, since);
      data = fresh;
      render();
    } catch (e) {
      replace(body, h('div', {class: 'error-box', role: 'alert'}, e.status === 404 ? `There is no run ${id} (it may have been removed).` : `The run could not be loaded: ${e.message}`));
    }
  }

  function scheduleLoad() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(load, 150);
  }

  const unsubscribe = stream.subscribe((e) => {
    if (e.type === 'resync') scheduleLoad();
    else if (e.run_id === id || data?.run?.children?.includes(e.run_id) || data?.run?.parent_id === e.run_id) scheduleLoad();
  });
  // Durations of an attempt under way keep counting; and a safety net if an event was missed.
  const ticker = setInterval(() => {
    if (data && !TERMINAL.has(data.run.status)) load();
  }, 3000);

  // The run's own events: its status (with what it waits for), metadata and stream chunks, live.
  let events = null;
  let eventsRetry = null;
  let renderTimer = null;
  function told(fields) {
    for (const since of told.pending) Object.assign(since, fields);
    if (!data) return;
    Object.assign(data.run, fields);
    // Coalesced: a run that changes its metadata many times a second re-renders the page at most
    // every 50 ms.
    if (renderTimer === null) renderTimer = setTimeout(() => {
      renderTimer = null;
      render();
    }, 50);
  }
  function openEvents() {
    const source = new EventSource(`/api/v1/runs/${enc(id)}/events`);
    events = source;
    const parse = (e) => {
      try {
        return JSON.parse(e.data);
      } catch {
        return null;
      }
    };
    source.addEventListener('run', (e) => {
      const r = parse(e);
      if (!r) return;
      streams.set(r.streams);
      streams.element.dataset.live = 'following';  // the run's events are open: chunks arrive as they are written
      told({status: r.status, waiting_for: r.waiting_for ?? null, metadata: r.metadata ?? {}});
    });
    source.addEventListener('status', (e) => {
      const u = parse(e);
      if (u) told({status: u.status, waiting_for: u.waiting_for ?? null});
    });
    source.addEventListener('metadata', (e) => {
      const u = parse(e);
      if (u) told({metadata: u.metadata ?? {}});
    });
    source.addEventListener('stream', (e) => {
      const u = parse(e);
      if (u) streams.append(u.stream, u.index, u.chunk);
    });
    source.addEventListener('end', () => {
      source.close();  // the run has ended: nothing more will come (EventSource would reconnect)
      events = null;
      streams.element.dataset.live = 'ended';
      scheduleLoad();
    });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED && events === source) {
        // Refused (404, 503 too many streams) or gone: try again later, unless the run has ended.
        events = null;
        clearTimeout(eventsRetry);
      clearTimeout(renderTimer);
        eventsRetry = setTimeout(() => {
          if (!data || !TERMINAL.has(data.run.status)) openEvents();
        }, 5000);
      }
    });
  }
  openEvents();

  load();
  const element = h('section', {class: 'page page-run', 'aria-labelledby': 'page-title'},
    h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'}, h('a', {href: '#/runs'}, 'Runs'), ' / '),
    h('div', {class: 'page-head'}, h('div', {class: 'title-row'}, title, badge), actions),
    replayBox, body);
  return {
    element,
    dispose() {
      unsubscribe();
      clearTimeout(refreshTimer);
      clearInterval(ticker);
      clearTimeout(eventsRetry);
      clearTimeout(renderTimer);
      if (events) events.close();
      events = null;
    },
  };
}
