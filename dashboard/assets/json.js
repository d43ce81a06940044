// JSON for the editor: a strict parser (RFC 8259) that says where a document is wrong in words a
// person can act on, and where each value sits (JSON Pointer → line), so that a violation the
// server reports at /payload/address/city is shown beside that line; and example documents built
// from a JSON Schema.

export class JsonSyntaxError extends Error {
  constructor(message, offset, line, column) {
    super(message);
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

export function escapePointer(token) {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}

function lineStarts(text) {
  const starts = [0];
  for (let i = 0; i < text.length; ++i) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function locate(starts, offset) {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return {line: lo + 1, column: offset - starts[lo] + 1};
}

function describe(ch) {
  if (ch === undefined) return 'the end of the text';
  if (ch === '\n') return 'a line break';
  if (ch === '\t') return 'a tab';
  if (ch === "'") return "a single quote (JSON strings use double quotes)";
  return `'${ch}'`;
}

/**
 * Parses `text`. Returns {value, pointers}: `pointers` maps each JSON Pointer ("" for the root,
 * "/address/city") to {line, column} of the value (for a member, of its key). Throws
 * JsonSyntaxError with the line and column of the first mistake.
 */
export function parseJson(text) {
  const starts = lineStarts(text);
  const pointers = new Map();
  let i = 0;

  const fail = (message, at = i) => {
    const {line, column} = locate(starts, at);
    throw new JsonSyntaxError(message, at, line, column);
  };
  const ws = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') ++i;
      else if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) fail('Comments are not allowed in JSON');
      else break;
    }
  };
  const mark = (pointer, at) => {
    if (!pointers.has(pointer)) pointers.set(pointer, locate(starts, at));
  };

  const string = () => {
    const start = i;
    ++i;  // the opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('This string is not closed: a double quote (") is missing', start);
      const c = text[i];
      if (c === '"') {
        ++i;
        return out;
      }
      if (c === '\n') fail('This string is not closed before the end of the line: a double quote (") is missing', start);
      if (c.charCodeAt(0) < 0x20) fail('A control character inside a string must be escaped (\\t, \\n, \\u0000)');
      if (c === '\\') {
        const e = text[i + 1];
        const simple = {'"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t'};
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('\\u must be followed by four hexadecimal digits');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          fail(`${describe(e)} cannot follow a backslash (valid escapes: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`);
        }
        continue;
      }
      out += c;
      ++i;
    }
  };

  const number = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '-' || m[0] === '') fail('This is not a valid number');
    const after = text[i + m[0].length];
    if (after !== undefined && /[0-9.eE+\-a-zA-Z_]/.test(after)) {
      if (m[1] === '0' && /[0-9]/.test(after)) fail('Numbers cannot have leading zeros');
      fail('This is not a valid number', i + m[0].length);
    }
    i += m[0].length;
    return Number(m[0]);
  };

  const value = (pointer, depth) => {
    if (depth > 256) fail('The document nests deeper than 256 levels');
    ws();
    const c = text[i];
    mark(pointer, i);
    if (c === '{') {
      ++i;
      const obj = {};
      ws();
      if (text[i] === '}') {
        ++i;
        return obj;
      }
      for (;;) {
        ws();
        const keyAt = i;
        if (text[i] === '}') fail('A trailing comma before } is not allowed in JSON');
        if (text[i] !== '"') {
          fail(text[i] === undefined ? 'The object is not closed: a } is missing'
            : `Property names must be double-quoted strings (found ${describe(text[i])})`);
        }
        const key = string();
        const childPointer = `${pointer}/${escapePointer(key)}`;
        pointers.set(childPointer, locate(starts, keyAt));
        ws();
        if (text[i] !== ':') fail(`Expected ':' after the property name "${key}", found ${describe(text[i])}`);
        ++i;
        const keep = pointers.get(childPointer);
        obj[key] = value(childPointer, depth + 1);
        pointers.set(childPointer, keep);
        ws();
        if (text[i] === ',') {
          ++i;
          continue;
        }
        if (text[i] === '}') {
          ++i;
          return obj;
        }
        fail(text[i] === undefined ? 'The object is not closed: a } is missing'
          : `Expected ',' or '}' after a property's value, found ${describe(text[i])}`);
      }
    }
    if (c === '[') {
      ++i;
      const arr = [];
      ws();
      if (text[i] === ']') {
        ++i;
        return arr;
      }
      for (;;) {
        ws();
        if (text[i] === ']') fail('A trailing comma before ] is not allowed in JSON');
        arr.push(value(`${pointer}/${arr.length}`, depth + 1));
        ws();
        if (text[i] === ',') {
          ++i;
          continue;
        }
        if (text[i] === ']') {
          ++i;
          return arr;
        }
        fail(text[i] === undefined ? 'The array is not closed: a ] is missing'
          : `Expected ',' or ']' after an array item, found ${describe(text[i])}`);
      }
    }
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        if (/[A-Za-z0-9_]/.test(text[i] ?? '')) fail('Unexpected word: only true, false and null are allowed unquoted');
        return v;
      }
    }
    if (c === undefined) fail(pointer === '' ? 'The text is empty: write a JSON value such as {} or null' : 'Expected a value, found the end of the text');
    if (c === "'") fail('Strings must use double quotes (") in JSON');
    if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))[0];
      const hint = {undefined: ' (use null)', NaN: ' (not a JSON number)', Infinity: ' (not a JSON number)', True: ' (use true)', False: ' (use false)', None: ' (use null)'}[word] ?? '; strings need double quotes';
      fail(`Unexpected word ${word}${hint}`);
    }
    fail(`Expected a value, found ${describe(c)}`);
  };

  const result = value('', 0);
  ws();
  if (i < text.length) fail(`Unexpected ${describe(text[i])} after the end of the JSON value`);
  return {value: result, pointers};
}

/**
 * The line of the value at `pointer` in a document parsed with parseJson, or of its nearest
 * ancestor that is there (a missing required property is reported at its object).
 */
export function lineOfPointer(pointers, pointer) {
  let p = pointer ?? '';
  for (;;) {
    const at = pointers.get(p);
    if (at) return {line: at.line, exact: p === pointer, found: p};
    if (p === '') return {line: 1, exact: false, found: ''};
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

// ------------------------------------------------------------------ examples from a JSON Schema

function resolveRef(root, ref) {
  if (typeof ref !== 'string' || !ref.startsWith('#')) return undefined;
  const parts = ref.slice(1).split('/').filter((p, k) => k > 0 || p !== '');
  let node = root;
  for (const raw of parts) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

function stringExample(schema) {
  const formats = {
    email: 'user@example.com', 'idn-email': 'user@example.com', uri: 'https://example.com/', 'uri-reference': '/path',
    url: 'https://example.com/', hostname: 'example.com', ipv4: '192.0.2.1', ipv6: '2001:db8::1',
    uuid: '00000000-0000-4000-8000-000000000000', date: new Date().toISOString().slice(0, 10),
    'date-time': new Date().toISOString(), time: '12:00:00Z', duration: 'PT5M',
  };
  let s = formats[schema.format] ?? '';
  const min = Number.isInteger(schema.minLength) ? schema.minLength : 0;
  if (!s) s = min > 0 ? 'x'.repeat(min) : '';
  if (Number.isInteger(schema.maxLength) && s.length > schema.maxLength) s = s.slice(0, schema.maxLength);
  return s;
}

function numberExample(schema, integer) {
  let lo = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : 0.5) : undefined);
  const hi = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - (integer ? 1 : 0.5) : undefined);
  let n = lo ?? (hi !== undefined && hi < 0 ? hi : 0);
  if (integer) n = Math.ceil(n);
  if (schema.multipleOf > 0 && n % schema.multipleOf !== 0) n = Math.ceil(n / schema.multipleOf) * schema.multipleOf;
  return n;
}

/**
 * An example document for `schema`: `examples[0]`, `default`, `const` or the first `enum` value
 * where the schema gives one; otherwise built from the type: an object with its required
 * properties (and those that have a default, example or enum), an array with one item (or
 * minItems), the first alternative of anyOf/oneOf, allOf merged. Local $refs are followed.
 */
export function exampleFromSchema(schema, root = schema, depth = 0) {
  if (schema === true || schema === undefined || schema === null) return null;
  if (schema === false || typeof schema !== 'object' || depth > 12) return null;
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(root, schema.$ref);
    if (target !== undefined) return exampleFromSchema({...target, ...omit(schema, '$ref')}, root, depth + 1);
  }
  if (Array.isArray(schema.examples) && schema.examples.length) return structuredClone(schema.examples[0]);
  if ('default' in schema) return structuredClone(schema.default);
  if ('const' in schema) return structuredClone(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length) return structuredClone(schema.enum[0]);
  if (Array.isArray(schema.allOf) && schema.allOf.length) {
    const parts = schema.allOf.map((s) => exampleFromSchema(s, root, depth + 1));
    const own = exampleFromSchema(omit(schema, 'allOf'), root, depth + 1);
    if ([own, ...parts].every((p) => p === null || (typeof p === 'object' && !Array.isArray(p)))) {
      return Object.assign({}, ...parts.filter(Boolean), own ?? {});
    }
    return parts.find((p) => p !== null) ?? own;
  }
  for (const key of ['oneOf', 'anyOf']) {
    if (Array.isArray(schema[key]) && schema[key].length) {
      const first = schema[key].find((s) => s && s.type !== 'null') ?? schema[key][0];
      return exampleFromSchema({...omit(schema, key), ...first}, root, depth + 1);
    }
  }
  let type = schema.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
  if (!type) {
    if (schema.properties || schema.required) type = 'object';
    else if (schema.items || schema.prefixItems) type = 'array';
    else if (schema.minLength !== undefined || schema.pattern || schema.format) type = 'string';
    else if (schema.minimum !== undefined || schema.maximum !== undefined) type = 'number';
  }
  switch (type) {
    case 'object': {
      const out = {};
      const props = schema.properties ?? {};
      const required = new Set(Array.isArray(schema.required) ? schema.required : []);
      for (const [name, sub] of Object.entries(props)) {
        const hinted = sub && typeof sub === 'object' && ('default' in sub || 'const' in sub || Array.isArray(sub.examples) || Array.isArray(sub.enum));
        if (required.has(name) || hinted) out[name] = exampleFromSchema(sub, root, depth + 1);
      }
      for (const name of required) if (!(name in out)) out[name] = null;
      return out;
    }
    case 'array': {
      if (Array.isArray(schema.prefixItems)) return schema.prefixItems.map((s) => exampleFromSchema(s, root, depth + 1));
      if (schema.maxItems === 0 || !schema.items) return [];
      const count = Math.max(1, Number.isInteger(schema.minItems) ? schema.minItems : 0);
      return Array.from({length: schema.uniqueItems ? Math.min(count, 1) : count}, () => exampleFromSchema(schema.items, root, depth + 1));
    }
    case 'string':
      return stringExample(schema);
    case 'integer':
      return numberExample(schema, true);
    case 'number':
      return numberExample(schema, false);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return null;
  }
}

function omit(obj, key) {
  const {[key]: _, ...rest} = obj;
  return rest;
}
