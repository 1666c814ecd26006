// Small DOM helpers shared by the pages. Nothing here uses innerHTML or inline handlers: the
// Content-Security-Policy forbids inline script, and text from the server is always text.

let timeZone = 'UTC';
let uniqueId = 0;

export function setTimeZone(zone) { if (zone) timeZone = zone; }
export function getTimeZone() { return timeZone; }

// h('button', {type: 'button', onclick: fn, class: 'primary'}, 'Save') → an element.
// Attributes starting with "on" become listeners; `dataset`, `style` (an object) and
// boolean values are handled; children may be strings, nodes, arrays, null or false.
export function h(tag, attrs, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'style' && typeof value === 'object') {
      for (const [prop, v] of Object.entries(value)) el.style.setProperty(prop, v);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

export function nextId(prefix = 'f') { uniqueId += 1; return `${prefix}-${uniqueId}`; }

// A labelled control: field('Search members', h('input', {type: 'search'})) → a wrapper with a
// visible <label for> bound to the control (given an id if it has none).
export function field(label, control, hint) {
  if (!control.id) control.id = nextId();
  const parts = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hintId = `${control.id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('p', { class: 'hint', id: hintId }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

export function select(options, value) {
  return h('select', {}, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

// An error from the API shown where it happened: role=alert so it is read out.
export function errorBox(error, context) {
  const message = error && error.message ? error.message : String(error);
  return h('div', { class: 'error', role: 'alert' }, context ? `${context}: ${message}` : message);
}

export function notice(text) { return h('div', { class: 'notice', role: 'status' }, text); }

export function loading(text = 'Loading…') { return h('p', { class: 'loading', role: 'status' }, text); }

export function announce(text) {
  const region = document.getElementById('announce');
  if (region) { region.textContent = ''; region.textContent = text; }
}

// Renders into `el` what `load()` resolves to (via `draw`), a loading line meanwhile, and the
// error instead when it fails: no section is ever left blank.
export async function section(el, load, draw) {
  clear(el).append(loading());
  try {
    const data = await load();
    clear(el);
    append(el, [draw(data)]);
    return data;
  } catch (error) {
    clear(el).append(errorBox(error));
    return undefined;
  }
}

const dateTimeFormats = new Map();
function formatter(options) {
  const key = JSON.stringify([timeZone, options]);
  if (!dateTimeFormats.has(key)) {
    dateTimeFormats.set(key, new Intl.DateTimeFormat(undefined, { timeZone, ...options }));
  }
  return dateTimeFormats.get(key);
}

// "5 Dec 2026, 14:03" in the organisation's time zone; '—' for nothing.
export function formatDateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return formatter({ dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function formatDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return formatter({ dateStyle: 'medium' }).format(d);
}

export function formatNumber(n) {
  return typeof n === 'number' ? n.toLocaleString() : (n ?? '—');
}

export function timeElement(iso) {
  return h('time', { datetime: iso || undefined }, formatDateTime(iso));
}

// A table with a caption (visually hidden when `hideCaption`), column headers and rows of cells
// (strings or nodes). Wide tables scroll inside their wrapper, never the page.
export function table(caption, columns, rows, { hideCaption = false, empty = 'Nothing to show.' } = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h('table', {},
      h('caption', { class: hideCaption ? 'sr-only' : undefined }, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c)))))));
}

// A modal confirmation that says what will happen. Resolves true when confirmed. `extra` are
// controls shown in the dialog (e.g. a reason field); `validate()` may return an error text.
export function confirmDialog({ title, message, confirmLabel, danger = false, extra = [], validate }) {
  return new Promise((resolve) => {
    const errorSlot = h('div');
    const confirm = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, confirmLabel);
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const titleId = nextId('dialog-title');
    const form = h('form', { method: 'dialog' },
      h('h2', { id: titleId }, title),
      h('p', {}, message),
      extra,
      errorSlot,
      h('div', { class: 'actions' }, cancel, confirm));
    const dialog = h('dialog', { 'aria-labelledby': titleId }, form);
    let answered = false;
    const finish = (value) => {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const problem = validate ? validate() : '';
      if (problem) { clear(errorSlot).append(errorBox(problem)); return; }
      finish(true);
    });
    cancel.addEventListener('click', () => finish(false));
    dialog.addEventListener('cancel', () => finish(false));
    document.body.append(dialog);
    dialog.showModal();
    confirm.focus();
  });
}

// A button that runs an async action once at a time, showing `busyLabel` meanwhile.
export function actionButton(label, action, { busyLabel = 'Working…', cls = '' } = {}) {
  const button = h('button', { type: 'button', class: cls || undefined }, label);
  button.addEventListener('click', async () => {
    if (button.disabled) return;
    button.disabled = true;
    button.textContent = busyLabel;
    try { await action(button); } finally {
      if (button.isConnected) { button.disabled = false; button.textContent = label; }
    }
  });
  return button;
}

// "Next page" paging by the API's cursors: `load(cursor)` resolves to {items, nextCursor}.
export function pager(onNext, nextCursor) {
  if (!nextCursor) return null;
  return h('div', { class: 'pager' }, actionButton('Next page', () => onNext(nextCursor)));
}

export function pageTitle(text, ...extra) {
  document.title = `${text} — PassLedger`;
  return h('div', { class: 'page-head' }, h('h1', {}, text), extra);
}

export function statusBadge(text, kind) {
  return h('span', { class: `badge ${kind || ''}`.trim() }, text);
}

// A page's own stylesheet, web/pages/<name>.css, linked once.
export function useStyle(name) {
  const href = new URL(`./pages/${name}.css`, import.meta.url).href;
  if ([...document.querySelectorAll('link[rel=stylesheet]')].some((l) => l.href === href)) return;
  document.head.append(h('link', { rel: 'stylesheet', href }));
}

// Marks that a page (or a part of it: 'members:results') has drawn its data: a performance
// mark `passledger:<name>` and <html data-ready="<name> <count>">, which the browser tests and
// the benchmark (tools/bench/web.sh) wait on.
let readyCount = 0;
export function markReady(name) {
  readyCount += 1;
  performance.mark(`passledger:${name}`);
  document.documentElement.dataset.ready = `${name} ${readyCount}`;
}
