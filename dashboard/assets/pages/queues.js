// #/queues: each queue's depth, executing runs and limit; pause and resume; override the limit
// and go back to the declared one.
import {h, replace, formatDuration, toast} from '../dom.js';
import {api, enc, stream} from '../api.js';

export function queuesPage() {
  const body = h('div', {class: 'card card-flush'}, h('p', {class: 'muted pad'}, 'Loading…'));
  let timer = null;
  let reloadTimer = null;
  let busy = false;

  async function act(name, path, init, done) {
    busy = true;
    try {
      await api(`/queues/${enc(name)}/${path}`, init);
      toast(done, 'ok');
    } catch (e) {
      toast(`${name}: ${e.message}`, 'error');
    } finally {
      busy = false;
      load();
    }
  }

  function limitCell(q) {
    const id = `limit-${q.name}`;
    const input = h('input', {id, class: 'input input-narrow', type: 'number', min: 1, step: 1, value: q.limit || '', placeholder: '∞',
      'aria-label': `Concurrency limit of ${q.name}`});
    const set = () => {
      const n = Number(input.value);
      if (!Number.isInteger(n) || n < 1) {
        toast('A limit is a whole number of at least 1 (Reset goes back to the declared limit).', 'error');
        return;
      }
      act(q.name, 'concurrency', {method: 'POST', body: {limit: n}}, `${q.name}: limit set to ${n}.`);
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') set();
    });
    return h('div', {class: 'limit'},
      input,
      h('button', {type: 'button', class: 'btn btn-small', onclick: set}, 'Set'),
      q.limit_overridden ? h('button', {type: 'button', class: 'btn btn-small btn-ghost', onclick: () => act(q.name, 'concurrency', {method: 'DELETE'}, `${q.name}: back to the declared limit.`)}, 'Reset') : null,
      h('span', {class: 'muted small'}, q.limit_overridden ? `overridden (declared ${q.declared_limit || 'unbounded'})` : q.limit ? 'declared' : 'unbounded'));
  }

  function render(queues) {
    if (!queues.length) {
      replace(body, h('p', {class: 'empty'}, 'No queue yet: each task has one, named after it.'));
      return;
    }
    const focused = document.activeElement?.id;
    const head = h('thead', null, h('tr', null, h('th', null, 'Queue'), h('th', null, 'State'), h('th', {class: 'num'}, 'Queued'),
      h('th', {class: 'num'}, 'Executing'), h('th', {class: 'num'}, 'Waiting'), h('th', null, 'Concurrency limit'), h('th', null, 'Rate limit'),
      h('th', null, h('span', {class: 'visually-hidden'}, 'Actions'))));
    const rows = queues.map((q) => {
      const keys = q.keys?.length
        ? h('div', {class: 'muted small'}, `${q.keys.length} concurrency key${q.keys.length === 1 ? '' : 's'}: `,
          q.keys.slice(0, 5).map((k, i) => [i ? ', ' : '', h('code', null, k.key), ` ${k.queued}/${k.executing}`]))
        : null;
      const toggle = q.paused
        ? h('button', {type: 'button', class: 'btn btn-small btn-primary', id: `resume-${q.name}`, 'aria-label': `Resume ${q.name}`,
          onclick: () => act(q.name, 'resume', {method: 'POST'}, `${q.name} resumed.`)}, 'Resume')
        : h('button', {type: 'button', class: 'btn btn-small', id: `pause-${q.name}`, 'aria-label': `Pause ${q.name}`,
          onclick: () => act(q.name, 'pause', {method: 'POST'}, `${q.name} paused: no new attempt starts from it.`)}, 'Pause');
      const rate = [q.rate_limit ? `${q.rate_limit.limit} per ${formatDuration(q.rate_limit.period_ms)}` : h('span', {class: 'muted'}, '—'),
        q.key_rate_limit ? h('div', {class: 'muted small'}, `per key ${q.key_rate_limit.limit} per ${formatDuration(q.key_rate_limit.period_ms)}`) : null];
      return h('tr', {dataset: {queue: q.name, paused: q.paused ? 'true' : 'false'}},
        h('td', null, h('a', {href: `#/runs?queue=${enc(q.name)}`, class: 'mono strong'}, q.name), keys),
        h('td', null, q.paused ? h('span', {class: 'badge state-paused'}, 'paused') : h('span', {class: 'badge state-active'}, 'active')),
        h('td', {class: 'num'}, String(q.queued)),
        h('td', {class: 'num'}, String(q.executing)),
        h('td', {class: 'num'}, String(q.waiting ?? 0)),
        h('td', null, limitCell(q)),
        h('td', null, rate),
        h('td', {class: 'right'}, toggle));
    });
    replace(body, h('div', {class: 'table-wrap'}, h('table', {class: 'table queues'}, head, h('tbody', null, rows))));
    // Keep the keyboard's place across the refresh (the pause button becomes resume, and back).
    if (focused) {
      const again = document.getElementById(focused) ?? document.getElementById(focused.replace(/^pause-/, 'resume-')) ?? document.getElementById(focused.replace(/^resume-/, 'pause-'));
      again?.focus();
    }
  }

  async function load() {
    clearTimeout(timer);
    try {
      const {queues} = await api('/queues');
      // Not while the user types a limit.
      if (!document.activeElement?.matches?.('.limit input')) render(queues);
    } catch (e) {
      replace(body, h('div', {class: 'error-box', role: 'alert'}, `The queues could not be loaded: ${e.message}`));
    }
    timer = setTimeout(load, 3000);
  }

  const unsubscribe = stream.subscribe(() => {
    if (busy || reloadTimer) return;
    reloadTimer = setTimeout(() => {
      reloadTimer = null;
      load();
    }, 700);
  });
  load();
  return {
    element: h('section', {class: 'page', 'aria-labelledby': 'page-title'},
      h('div', {class: 'page-head'}, h('h1', {id: 'page-title'}, 'Queues'),
        h('p', {class: 'muted'}, 'A paused queue starts no new attempt (runs under way go on, triggers still queue).')),
      body),
    dispose() {
      unsubscribe();
      clearTimeout(timer);
      clearTimeout(reloadTimer);
    },
  };
}
