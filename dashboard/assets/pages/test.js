// #/tasks/<id>/test: trigger a task by hand. The payload editor starts from an example built from
// the task's JSON Schema (or the last run's payload); every trigger option has a field; Run
// triggers, and the new run is followed live to its end. Whatever the server refuses is shown
// where it is wrong: a payload's violations beside their lines with their JSON Pointer paths, an
// option's problem under its field.
import {h, replace, route, statusBadge, formatTime, formatDuration, pretty, TERMINAL} from '../dom.js';
import {api, enc, stream, ApiError} from '../api.js';
import {JsonEditor, problemsUnder} from '../editor.js';
import {exampleFromSchema} from '../json.js';

const MACHINES = ['micro', 'small-1x', 'small-2x', 'medium-1x', 'medium-2x', 'large-1x', 'large-2x'];

const OPTION_FIELDS = [
  // name, label, kind, placeholder, help
  ['tags', 'Tags', 'text', 'user_42, newsletter', 'Comma-separated, at most 10.'],
  ['delay', 'Delay', 'text', 'PT5M or 2026-03-09T08:30:00Z', 'A duration, a time to start at, or milliseconds.'],
  ['ttl', 'TTL', 'text', 'PT1H', 'Expires if not started within this.'],
  ['idempotency_key', 'Idempotency key', 'text', 'order-1234', 'A second trigger with the key answers the first run.'],
  ['idempotency_key_ttl', 'Idempotency key TTL', 'text', 'P30D', 'How long the key holds (default 30 days).'],
  ['concurrency_key', 'Concurrency key', 'text', 'user_42', 'Runs with one key share the queue\'s limit.'],
  ['priority', 'Priority', 'number', '0', 'Seconds of head start in the queue.'],
  ['queue', 'Queue', 'queue', '', 'A declared queue instead of the task\'s.'],
  ['max_attempts', 'Max attempts', 'number', '', 'Instead of the task\'s retry setting.'],
  ['max_duration', 'Max duration', 'text', 'PT30S', 'Wall-clock limit of each attempt.'],
  ['machine', 'Machine', 'machine', '', 'A preset instead of the task\'s machine.'],
];

function durationValue(text) {
  return /^\d+$/.test(text) ? Number(text) : text;
}

export function testPage(taskId) {
  let task = null;
  let lastPayload;
  let followId = null;
  let followed = null;
  let pollTimer = null;
  let refreshTimer = null;
  let disposed = false;

  const head = h('div', {class: 'page-head'},
    h('div', {class: 'title-row'}, h('h1', {id: 'page-title'}, 'Test ', h('span', {class: 'mono'}, taskId))),
    h('p', {class: 'muted task-summary'}, 'Loading the task…'));

  // ---------------------------------------------------------------- payload
  const editor = new JsonEditor({label: 'Payload (JSON)', value: '{}', rows: 18, name: 'payload', onSubmit: () => run()});
  const source = h('span', {class: 'muted', id: 'payload-source'});
  const schemaBtn = h('button', {type: 'button', class: 'btn btn-small', hidden: true, onclick: () => fillFromSchema()}, 'Example from the schema');
  const lastBtn = h('button', {type: 'button', class: 'btn btn-small', hidden: true, onclick: () => fillFromLast()}, 'Last payload');
  const formatBtn = h('button', {type: 'button', class: 'btn btn-small', onclick: () => {
    const r = editor.check();
    if (r.ok && !r.empty) editor.text = pretty(r.value);
  }}, 'Format');
  const schemaView = h('details', {class: 'schema-view', hidden: true}, h('summary', null, 'The task\'s JSON Schema'), h('pre', {class: 'code'}));

  function fillFromSchema() {
    editor.text = pretty(exampleFromSchema(task.schema));
    replace(source, 'An example built from the task\'s JSON Schema.');
  }
  function fillFromLast() {
    editor.text = pretty(lastPayload);
    replace(source, 'The payload of the task\'s last run.');
  }

  // ---------------------------------------------------------------- options
  const fields = {};
  const errors = {};
  const queueSelect = h('select', {id: 'opt-queue', class: 'input', name: 'queue'}, h('option', {value: ''}, 'The task\'s queue'));
  const optionRows = OPTION_FIELDS.map(([name, label, kind, placeholder, help]) => {
    const id = `opt-${name}`;
    let input;
    if (kind === 'queue') input = queueSelect;
    else if (kind === 'machine') {
      input = h('select', {id, class: 'input', name}, h('option', {value: ''}, 'The task\'s machine'), MACHINES.map((m) => h('option', {value: m}, m)));
    } else {
      input = h('input', {id, name, class: 'input', type: kind === 'number' ? 'text' : 'text', inputmode: kind === 'number' ? 'numeric' : null,
        placeholder, autocomplete: 'off', spellcheck: 'false'});
    }
    const err = h('p', {class: 'field-error', id: `${id}-error`, hidden: true, role: 'alert', dataset: {option: name}});
    input.setAttribute('aria-describedby', `${id}-help ${id}-error`);
    input.addEventListener('input', () => clearFieldError(name));
    fields[name] = input;
    errors[name] = err;
    return h('div', {class: 'field', dataset: {option: name}}, h('label', {for: id}, label), input,
      h('p', {class: 'help', id: `${id}-help`}, help), err);
  });
  const metadata = new JsonEditor({label: 'Metadata (a JSON object, optional)', value: '', rows: 4, allowEmpty: true, name: 'metadata', onSubmit: () => run()});
  errors.metadata = h('p', {class: 'field-error', id: 'opt-metadata-error', hidden: true, role: 'alert', dataset: {option: 'metadata'}});
  const optionsError = h('div', {class: 'error-box', role: 'alert', hidden: true, id: 'options-error'});

  function clearFieldError(name) {
    const err = errors[name];
    if (!err) return;
    err.hidden = true;
    err.textContent = '';
    fields[name]?.removeAttribute('aria-invalid');
  }
  function setFieldError(name, message) {
    const err = errors[name];
    err.hidden = false;
    err.textContent = `/options/${name}: ${message}`;
    fields[name]?.setAttribute('aria-invalid', 'true');
  }

  /** The trigger options from the form; throws {field, message} for what cannot be read. */
  function collectOptions() {
    const out = {};
    for (const [name] of OPTION_FIELDS) {
      const raw = fields[name].value.trim();
      if (!raw) continue;
      if (name === 'tags') out.tags = raw.split(',').map((s) => s.trim()).filter(Boolean);
      else if (name === 'priority' || name === 'max_attempts') out[name] = /^-?\d+$/.test(raw) ? Number(raw) : raw;
      else if (['delay', 'ttl', 'idempotency_key_ttl', 'max_duration'].includes(name)) out[name] = durationValue(raw);
      else out[name] = raw;
    }
    const m = metadata.check();
    if (!m.ok) throw {field: 'metadata', message: `not valid JSON (line ${m.error.line}): ${m.error.message}`};
    if (!m.empty) {
      if (m.value === null || typeof m.value !== 'object' || Array.isArray(m.value)) throw {field: 'metadata', message: 'must be a JSON object'};
      out.metadata = m.value;
    }
    return out;
  }

  // ---------------------------------------------------------------- run
  const runButton = h('button', {type: 'button', class: 'btn btn-primary btn-run', id: 'run-button', onclick: () => run()}, 'Run');
  const runError = h('div', {class: 'error-box', role: 'alert', hidden: true, id: 'run-error'});
  const result = h('section', {class: 'card result', 'aria-labelledby': 'result-title', 'aria-live': 'polite', id: 'result'},
    h('h2', {id: 'result-title'}, 'Result'), h('p', {class: 'muted'}, 'Press Run (or Ctrl+Enter in the editor): the run is followed here until it ends.'));

  function clearErrors() {
    runError.hidden = true;
    optionsError.hidden = true;
    for (const name of Object.keys(errors)) clearFieldError(name);
  }

  async function run() {
    clearErrors();
    const p = editor.check();
    if (!p.ok) {
      runError.hidden = false;
      replace(runError, h('strong', null, 'The payload is not valid JSON. '), `Line ${p.error.line}, column ${p.error.column}: ${p.error.message}`);
      editor.goToLine(p.error.line, p.error.column);
      return;
    }
    let options;
    try {
      options = collectOptions();
    } catch (e) {
      errors[e.field].hidden = false;
      errors[e.field].textContent = `/options/${e.field}: ${e.message}`;
      runError.hidden = false;
      replace(runError, h('strong', null, 'An option cannot be read: '), `${e.field} — ${e.message}`);
      return;
    }
    runButton.disabled = true;
    runButton.textContent = 'Triggering…';
    try {
      // The editor's text goes as it is, so that numbers keep every digit.
      const res = await api(`/tasks/${enc(taskId)}/trigger`, {method: 'POST', bodyText: `{"payload": ${editor.text}, "options": ${JSON.stringify(options)}}`});
      follow(res.id, res.cached);
    } catch (e) {
      showTriggerError(e);
    } finally {
      runButton.disabled = false;
      runButton.textContent = 'Run';
    }
  }

  function showTriggerError(e) {
    const problems = e instanceof ApiError ? e.problems : [];
    const payloadProblems = problemsUnder(problems, '/payload');
    const rest = [];
    for (const d of problems) {
      const path = typeof d.path === 'string' ? d.path : '';
      const m = /^\/options\/([a-z_]+)/.exec(path);
      if (path === '/payload' || path.startsWith('/payload/')) continue;
      if (m && errors[m[1]]) setFieldError(m[1], String(d.message ?? ''));
      else rest.push(d);
    }
    if (payloadProblems.length) editor.showProblems(payloadProblems);
    runError.hidden = false;
    const n = problems.length;
    replace(runError,
      h('strong', null, e.status === 400 ? `The server refused the trigger (${n} problem${n === 1 ? '' : 's'}). ` : `The trigger failed (${e.status || 'no answer'} ${e.code}). `),
      n ? (payloadProblems.length ? 'The payload\'s problems are marked in the editor' : 'See the marked fields') : e.message,
      rest.length ? h('ul', null, rest.map((d) => h('li', null, h('code', null, String(d.path ?? '') || '(the body)'), ' ', String(d.message ?? '')))) : null);
    if (rest.some((d) => String(d.path ?? '').startsWith('/options'))) {
      optionsError.hidden = false;
      replace(optionsError, rest.filter((d) => String(d.path ?? '').startsWith('/options')).map((d) => h('p', null, h('code', null, String(d.path)), ' ', String(d.message ?? ''))));
    }
  }

  // ---------------------------------------------------------------- following the run
  function follow(id, cached) {
    followId = id;
    followed = null;
    replace(result, h('h2', {id: 'result-title'}, 'Result'),
      h('p', null, cached ? 'The idempotency key named an earlier run: ' : 'Triggered ', h('a', {href: route('runs', id), class: 'mono', id: 'result-run-link'}, id), '.'),
      h('p', {class: 'muted'}, 'Waiting for its first status…'));
    refresh();
    clearInterval(pollTimer);
    // The stream tells as it happens; this is the safety net for an event missed in between.
    pollTimer = setInterval(() => {
      if (followed && TERMINAL.has(followed.status)) clearInterval(pollTimer);
      else refresh();
    }, 1000);
  }

  async function refresh() {
    const id = followId;
    if (!id || disposed) return;
    try {
      const data = await api(`/runs/${enc(id)}`);
      if (id !== followId || disposed) return;
      followed = data.run;
      renderResult(data.run);
    } catch (e) {
      // One failed read is not the end of the run: the next event or tick tries again.
    }
  }

  function renderResult(r) {
    const ended = TERMINAL.has(r.status);
    replace(result,
      h('div', {class: 'card-head'}, h('h2', {id: 'result-title'}, 'Result'), statusBadge(r.status)),
      h('p', null, h('a', {href: route('runs', r.id), class: 'mono', id: 'result-run-link'}, r.id),
        ' · ', ended ? `ended ${formatTime(r.finished_at)}` : 'following live…',
        r.started_at ? ` · ${formatDuration((r.finished_at ?? Date.now()) - r.started_at)}` : ''),
      h('ol', {class: 'attempt-list', 'aria-label': 'Attempts'}, (r.attempts ?? []).map((a) => h('li', {class: a.error ? 'attempt-failed' : 'attempt-ok', dataset: {attempt: a.number}},
        h('strong', null, `Attempt ${a.number}`), ' ',
        a.finished_at ? formatDuration(a.finished_at - a.started_at) : 'running…', ' ',
        a.error ? h('span', {class: 'attempt-error'}, `${a.error.type ?? 'error'}: ${a.error.message ?? ''}`) : (a.finished_at ? h('span', {class: 'ok'}, 'succeeded') : null)))),
      r.status === 'completed' ? [h('h3', null, 'Output'), h('pre', {class: 'code', id: 'result-output'}, pretty(r.output))] : null,
      r.error && ended ? [h('h3', null, 'Error'), h('pre', {class: 'code error-message', id: 'result-error'}, `${r.error.type ?? 'error'}: ${r.error.message ?? ''}`)] : null,
      r.status === 'retrying' && r.run_at ? h('p', {class: 'muted'}, `Next attempt at ${formatTime(r.run_at)}.`) : null);
  }

  const unsubscribe = stream.subscribe((e) => {
    if (!followId) return;
    if (e.type === 'resync' || e.run_id === followId) {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(refresh, 60);
    }
  });

  // ---------------------------------------------------------------- loading the task
  (async () => {
    try {
      const [t, last, q] = await Promise.all([
        api(`/tasks/${enc(taskId)}`),
        api(`/runs?task=${enc(taskId)}&limit=1`).catch(() => ({runs: []})),
        api('/queues').catch(() => ({queues: []})),
      ]);
      if (disposed) return;
      task = t;
      lastPayload = last.runs?.[0]?.payload;
      const retry = t.retry ?? {};
      replace(head.querySelector('.task-summary'),
        h('span', {class: 'badge kind'}, t.kind), ' ',
        t.description ? [t.description, ' · '] : null,
        `queue ${t.queue?.name ?? '—'} · up to ${retry.max_attempts ?? '?'} attempts · `,
        t.machine && (t.machine.cpu || t.machine.memory) ? `${t.machine.cpu} vCPU, ${t.machine.memory} GB · ` : '',
        h('a', {href: `#/runs?task=${enc(taskId)}`}, 'its runs'));
      replace(queueSelect, h('option', {value: ''}, `The task's queue (${t.queue?.name ?? ''})`),
        (q.queues ?? []).filter((x) => x.name !== t.queue?.name).map((x) => h('option', {value: x.name}, x.name)));
      if (t.schema) {
        schemaBtn.hidden = false;
        schemaView.hidden = false;
        schemaView.querySelector('pre').textContent = pretty(t.schema);
      }
      if (lastPayload !== undefined) lastBtn.hidden = false;
      // The editor may have been typed in already: keep what the user wrote.
      if (editor.text === '{}') {
        if (t.schema) fillFromSchema();
        else if (lastPayload !== undefined) fillFromLast();
        else replace(source, 'No schema and no earlier run: an empty object.');
      }
    } catch (e) {
      replace(head.querySelector('.task-summary'), h('span', {class: 'error-text'}, e.status === 404 ? `There is no task ${taskId}.` : `The task could not be loaded: ${e.message}`));
      runButton.disabled = e.status === 404;
    }
  })();

  const element = h('section', {class: 'page page-test', 'aria-labelledby': 'page-title'},
    h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'}, h('a', {href: '#/tasks'}, 'Tasks'), ' / '),
    head,
    h('div', {class: 'test-grid'},
      h('div', {class: 'stack'},
        h('section', {class: 'card', 'aria-labelledby': 'payload-title'},
          h('div', {class: 'card-head'}, h('h2', {id: 'payload-title'}, 'Payload'), h('div', {class: 'actions'}, schemaBtn, lastBtn, formatBtn)),
          source, editor.element, schemaView),
        h('div', {class: 'run-bar'}, runButton, h('span', {class: 'muted kbd-hint'}, h('kbd', null, 'Ctrl'), '+', h('kbd', null, 'Enter'), ' in an editor runs too')),
        runError,
        result),
      h('section', {class: 'card options', 'aria-labelledby': 'options-title'},
        h('h2', {id: 'options-title'}, 'Trigger options'),
        h('p', {class: 'muted'}, 'All optional; empty fields use the task\'s settings.'),
        optionsError,
        h('div', {class: 'options-grid'}, optionRows),
        h('div', {class: 'field', dataset: {option: 'metadata'}}, h('label', {for: metadata.textarea.id}, 'Metadata'), metadata.element, errors.metadata))));

  return {
    element,
    dispose() {
      disposed = true;
      unsubscribe();
      clearInterval(pollTimer);
      clearTimeout(refreshTimer);
    },
  };
}
