// A JSON editor: a textarea with line numbers, checked as the user types. Problems (a syntax
// error, or violations the server reported with JSON Pointer paths) are shown three ways: the
// line's number turns red, a note with the path sits beside the line, and a list under the editor
// says each one in full (each item moves the caret to its line).
import {h, replace} from './dom.js';
import {parseJson, lineOfPointer} from './json.js';

let nextId = 0;

export class JsonEditor {
  /**
   * @param {object} o
   * @param {string} o.label        the accessible name of the textarea
   * @param {string} [o.value]      the initial text
   * @param {number} [o.rows]       visible lines
   * @param {boolean} [o.allowEmpty] an empty text is valid (and means "nothing")
   * @param {Function} [o.onChange] called with the parse result after each check
   * @param {Function} [o.onSubmit] Ctrl+Enter / Cmd+Enter
   */
  constructor({label, value = '', rows = 16, allowEmpty = false, onChange, onSubmit, name}) {
    const id = `json-editor-${++nextId}`;
    this.allowEmpty = allowEmpty;
    this.onChange = onChange;
    this.serverProblems = [];
    this.gutter = h('div', {class: 'editor-gutter', 'aria-hidden': 'true'});
    this.marks = h('div', {class: 'editor-marks', 'aria-hidden': 'true'});
    this.status = h('div', {class: 'editor-status', id: `${id}-status`, role: 'status', 'aria-live': 'polite'});
    this.problemList = h('ul', {class: 'problems', id: `${id}-problems`, 'aria-label': `Problems in ${label}`});
    this.textarea = h('textarea', {
      id, class: 'editor-text', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', wrap: 'off',
      rows, name: name ?? id, 'aria-label': label, 'aria-describedby': `${id}-status ${id}-problems`,
      dataset: {editor: name ?? ''},
    });
    this.textarea.value = value;
    this.frame = h('div', {class: 'editor', style: {'--rows': rows}}, this.gutter, this.textarea, this.marks);
    this.element = h('div', {class: 'editor-wrap'}, this.frame, this.status, this.problemList);

    let timer = null;
    this.textarea.addEventListener('input', () => {
      this.serverProblems = [];  // they were about the text before this edit
      this.renderGutter();
      clearTimeout(timer);
      timer = setTimeout(() => this.check(), 120);
    });
    this.textarea.addEventListener('scroll', () => this.syncScroll());
    this.textarea.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter' && onSubmit) {
        e.preventDefault();
        onSubmit();
      }
    });
    this.renderGutter();
    this.check();
  }

  get text() {
    return this.textarea.value;
  }

  set text(value) {
    this.textarea.value = value;
    this.serverProblems = [];
    this.renderGutter();
    this.check();
  }

  /** Parses the text now; returns {ok, value, pointers, error, empty}. */
  check() {
    const text = this.textarea.value;
    let result;
    if (this.allowEmpty && text.trim() === '') {
      result = {ok: true, empty: true, value: undefined, pointers: new Map()};
    } else {
      try {
        const {value, pointers} = parseJson(text);
        result = {ok: true, value, pointers};
      } catch (e) {
        result = {ok: false, error: e};
      }
    }
    this.last = result;
    this.render();
    this.onChange?.(result);
    return result;
  }

  /**
   * Violations from the server: [{pointer, message, keyword?}], each pointer inside this
   * editor's document ("" for the whole document).
   */
  showProblems(problems) {
    this.check();
    this.serverProblems = problems;
    this.render();
  }

  problems() {
    const out = [];
    const r = this.last;
    if (r && !r.ok) {
      const e = r.error;
      out.push({line: e.line ?? 1, column: e.column, path: null, message: e.message, kind: 'syntax'});
    }
    if (r && r.ok) {
      for (const p of this.serverProblems) {
        const at = lineOfPointer(r.pointers, p.pointer);
        // The server's messages start with the path ("/age: 200 is …"): it is shown on its own.
        const message = p.pointer && p.message.startsWith(`${p.pointer}: `) ? p.message.slice(p.pointer.length + 2) : p.message;
        out.push({line: at.line, path: p.pointer === '' ? '(the whole document)' : p.pointer, pointer: p.pointer,
          message, keyword: p.keyword, kind: 'schema'});
      }
      out.sort((a, b) => a.line - b.line);
    }
    return out;
  }

  render() {
    const problems = this.problems();
    const r = this.last;
    this.textarea.setAttribute('aria-invalid', problems.length ? 'true' : 'false');
    this.frame.classList.toggle('has-problems', problems.length > 0);
    if (!r) return;
    if (!r.ok) {
      replace(this.status, h('span', {class: 'status-bad'}, `Invalid JSON — line ${r.error.line}, column ${r.error.column}: ${r.error.message}`));
    } else if (this.serverProblems.length) {
      const n = this.serverProblems.length;
      replace(this.status, h('span', {class: 'status-bad'}, `Valid JSON, but the server refused it: ${n} problem${n === 1 ? '' : 's'}`));
    } else if (r.empty) {
      replace(this.status, h('span', {class: 'status-muted'}, 'Empty'));
    } else {
      replace(this.status, h('span', {class: 'status-ok'}, 'Valid JSON'));
    }
    replace(this.problemList, problems.map((p) => h('li', {class: ['problem', `problem-${p.kind}`], dataset: {line: p.line, path: p.pointer ?? ''}},
      h('button', {type: 'button', class: 'problem-line', onclick: () => this.goToLine(p.line, p.column),
        'aria-label': `Go to line ${p.line}`}, `Line ${p.line}`),
      p.path !== null ? h('code', {class: 'problem-path'}, p.path) : null,
      h('span', {class: 'problem-message'}, p.message),
      p.keyword ? h('span', {class: 'problem-keyword'}, p.keyword) : null)));
    this.renderGutter(problems);
    this.renderMarks(problems);
  }

  renderGutter(problems = this.problems()) {
    const lines = this.textarea.value.split('\n').length;
    const bad = new Map();
    for (const p of problems) if (!bad.has(p.line)) bad.set(p.line, p);
    const items = [];
    for (let n = 1; n <= lines; ++n) {
      const p = bad.get(n);
      items.push(h('div', {class: ['gutter-line', p && 'bad'], dataset: {line: n}, title: p ? p.message : null}, String(n)));
    }
    replace(this.gutter, items);
    this.syncScroll();
  }

  renderMarks(problems) {
    const byLine = new Map();
    for (const p of problems) {
      if (!byLine.has(p.line)) byLine.set(p.line, []);
      byLine.get(p.line).push(p);
    }
    replace(this.marks, [...byLine.entries()].map(([line, list]) => h('div', {
      class: 'editor-mark', dataset: {line, path: list[0].pointer ?? ''}, style: {'--line': line},
    }, list.map((p, k) => [k ? ' · ' : '', p.path !== null ? h('code', null, p.path) : null, p.path !== null ? ' ' : '', p.message]))));
    this.syncScroll();
  }

  syncScroll() {
    this.gutter.scrollTop = this.textarea.scrollTop;
    this.marks.style.setProperty('--scroll', `${this.textarea.scrollTop}px`);
  }

  goToLine(line, column = 1) {
    const lines = this.textarea.value.split('\n');
    let offset = 0;
    for (let k = 0; k < line - 1 && k < lines.length; ++k) offset += lines[k].length + 1;
    offset += Math.max(0, (column ?? 1) - 1);
    this.textarea.focus();
    this.textarea.setSelectionRange(offset, offset);
    const lh = parseFloat(getComputedStyle(this.textarea).lineHeight) || 20;
    const top = (line - 1) * lh;
    if (top < this.textarea.scrollTop || top > this.textarea.scrollTop + this.textarea.clientHeight - lh * 2) {
      this.textarea.scrollTop = Math.max(0, top - lh * 3);
    }
  }
}

/** A problem of the API's `details` as one for an editor whose document sits at `prefix` ("/payload"). */
export function problemsUnder(details, prefix) {
  const out = [];
  for (const d of details) {
    const path = typeof d.path === 'string' ? d.path : '';
    if (typeof d.instance_path === 'string' && path.startsWith(prefix)) {
      out.push({pointer: d.instance_path, message: String(d.message ?? ''), keyword: d.keyword ? String(d.keyword) : null});
    } else if (path === prefix || path.startsWith(`${prefix}/`)) {
      let pointer = path.slice(prefix.length);
      const message = String(d.message ?? '');
      // A typed payload that does not decode names its member in the message ("… does not decode: /name: …").
      const named = pointer === '' ? /does not decode: (\/[^\s:]*):/.exec(message) : null;
      if (named) pointer = named[1];
      out.push({pointer, message, keyword: d.keyword ? String(d.keyword) : null});
    }
  }
  return out;
}
