// #/tasks: every registered task with its kind, queue, retry policy and machine, each with a link
// to its Test page.
import {h, replace, route, formatDuration} from '../dom.js';
import {api} from '../api.js';

function retryText(r) {
  if (!r) return '—';
  if (r.max_attempts <= 1) return 'no retries';
  const backoff = r.factor === 1 ? `every ${formatDuration(r.min_timeout_ms)}` : `${formatDuration(r.min_timeout_ms)} ×${r.factor}, at most ${formatDuration(r.max_timeout_ms)}`;
  return `${r.max_attempts} attempts · ${backoff}${r.randomize ? ' · jitter' : ''}`;
}

function queueText(q) {
  if (!q) return '—';
  const parts = [q.concurrency_limit ? `limit ${q.concurrency_limit}` : 'unbounded'];
  if (q.total_concurrency_limit) parts.push(`total ${q.total_concurrency_limit}`);
  if (q.rate_limit) parts.push(`${q.rate_limit.limit} per ${formatDuration(q.rate_limit.period_ms)}`);
  return [h('a', {href: `#/runs?queue=${encodeURIComponent(q.name)}`}, q.name), h('span', {class: 'muted'}, ` ${parts.join(', ')}`)];
}

export function tasksPage() {
  const body = h('div', {class: 'card card-flush'}, h('p', {class: 'muted pad'}, 'Loading…'));
  (async () => {
    try {
      const {tasks} = await api('/tasks');
      if (!tasks.length) {
        replace(body, h('p', {class: 'empty'}, 'No task is registered in this runtime.'));
        return;
      }
      replace(body, h('div', {class: 'table-wrap'}, h('table', {class: 'table'},
        h('thead', null, h('tr', null, h('th', null, 'Task'), h('th', null, 'Kind'), h('th', null, 'Queue'), h('th', null, 'Retry'),
          h('th', null, 'Machine'), h('th', null, 'Max duration'), h('th', null, h('span', {class: 'visually-hidden'}, 'Actions')))),
        h('tbody', null, tasks.map((t) => h('tr', {dataset: {taskId: t.id}},
          h('td', null, h('a', {href: `#/runs?task=${encodeURIComponent(t.id)}`, class: 'mono strong'}, t.id),
            t.description ? h('div', {class: 'muted small'}, t.description) : null),
          h('td', null, h('span', {class: `badge kind kind-${t.kind}`}, t.kind), t.schema && t.kind !== 'schema' ? h('span', {class: 'muted small'}, ' with schema') : null),
          h('td', null, queueText(t.queue)),
          h('td', null, retryText(t.retry)),
          h('td', null, t.machine && (t.machine.cpu || t.machine.memory) ? `${t.machine.cpu} vCPU, ${t.machine.memory} GB` : h('span', {class: 'muted'}, 'none')),
          h('td', null, t.max_duration_ms ? formatDuration(t.max_duration_ms) : h('span', {class: 'muted'}, '—')),
          h('td', {class: 'right'}, h('a', {class: 'btn btn-small', href: route('tasks', t.id, 'test'), 'aria-label': `Test ${t.id}`}, 'Test'))))))));
    } catch (e) {
      replace(body, h('div', {class: 'error-box', role: 'alert'}, `The tasks could not be loaded: ${e.message}`));
    }
  })();
  return {
    element: h('section', {class: 'page', 'aria-labelledby': 'page-title'},
      h('div', {class: 'page-head'}, h('h1', {id: 'page-title'}, 'Tasks'), h('p', {class: 'muted'}, 'Registered in this runtime. Test triggers one by hand.')),
      body),
  };
}
