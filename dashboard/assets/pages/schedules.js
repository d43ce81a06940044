// #/schedules: the schedules of the scheduled tasks (GET /api/v1/tasks lists them, when the
// server is built with the schedule integration), each next fire time in the schedule's own time
// zone and in the browser's.
import {h, replace, route, formatRelative} from '../dom.js';
import {api} from '../api.js';

function inZone(iso, timeZone) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  try {
    return new Intl.DateTimeFormat(undefined, {timeZone, weekday: 'short', year: 'numeric', month: 'short', day: 'numeric',
      hour: '2-digit', minute: '2-digit', hour12: false, timeZoneName: 'short'}).format(d);
  } catch {
    return d.toISOString();
  }
}

export function schedulesPage() {
  const body = h('div', {class: 'card card-flush'}, h('p', {class: 'muted pad'}, 'Loading…'));
  (async () => {
    try {
      const {tasks} = await api('/tasks');
      const supported = tasks.some((t) => Array.isArray(t.schedules));
      const rows = tasks.flatMap((t) => (t.schedules ?? []).map((s) => ({...s, task: s.task ?? t.id})));
      if (!rows.length) {
        replace(body, h('p', {class: 'empty'}, supported || !tasks.length
          ? 'No schedules are defined.'
          : 'No schedules are defined (this server is built without the schedule integration).'));
        return;
      }
      rows.sort((a, b) => String(a.next_timestamp ?? '~').localeCompare(String(b.next_timestamp ?? '~')));
      const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
      replace(body, h('div', {class: 'table-wrap'}, h('table', {class: 'table'},
        h('thead', null, h('tr', null, h('th', null, 'Schedule'), h('th', null, 'Task'), h('th', null, 'Cron'), h('th', null, 'Time zone'),
          h('th', null, 'Next fire (its zone)'), h('th', null, `Next fire (${local})`), h('th', null, 'Last fire'))),
        h('tbody', null, rows.map((s) => h('tr', {dataset: {schedule: s.id}},
          h('td', null, h('span', {class: 'mono'}, s.id), h('div', {class: 'muted small'}, s.type ?? '', s.external_id ? ` · ${s.external_id}` : '', s.active === false ? ' · inactive' : '')),
          h('td', null, h('a', {href: route('tasks', s.task, 'test')}, s.task)),
          h('td', null, h('code', null, s.cron ?? '')),
          h('td', null, s.timezone ?? 'UTC'),
          h('td', null, s.next_timestamp ? [inZone(s.next_timestamp, s.timezone ?? 'UTC'), h('div', {class: 'muted small'}, formatRelative(new Date(s.next_timestamp).getTime()))] : h('span', {class: 'muted'}, 'none')),
          h('td', null, s.next_timestamp ? inZone(s.next_timestamp, local) : '—'),
          h('td', null, s.last_timestamp ? inZone(s.last_timestamp, s.timezone ?? 'UTC') : h('span', {class: 'muted'}, 'never'),
            s.last_error ? h('div', {class: 'error-text small'}, s.last_error) : null)))))));
    } catch (e) {
      replace(body, h('div', {class: 'error-box', role: 'alert'}, `The schedules could not be loaded: ${e.message}`));
    }
  })();
  return {
    element: h('section', {class: 'page', 'aria-labelledby': 'page-title'},
      h('div', {class: 'page-head'}, h('h1', {id: 'page-title'}, 'Schedules'), h('p', {class: 'muted'}, 'Scheduled tasks and their next fire times.')),
      body),
  };
}
