// Audit log: the event log newest first, filtered by stream, type, actor and recorded time. The
// filters live in the hash query (#/audit?type=…) so a filtered view can be bookmarked; each
// event opens to its payload and personal part (sealed for auditors, gone once forgotten).
// The server examines a bounded number of events per call, so a page may be empty and still
// have a next one.
import { api } from '../api.js';
import {
  h, clear, errorBox, field, section, timeElement, formatNumber, pager, pageTitle, notice, getTimeZone,
  useStyle, markReady,
} from '../ui.js';

const pageSize = 50;
const keys = ['stream', 'type', 'actor', 'from', 'to'];

// The UTC instant at which the calendar day `date` (YYYY-MM-DD) starts in `zone`, plus `days`.
function dayStart(date, zone, days = 0) {
  const [y, m, d] = date.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d + days);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
    hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  const offsetAt = (t) => {
    const p = Object.fromEntries(parts.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - t;
  };
  let t = wall - offsetAt(wall);
  t = wall - offsetAt(t);  // once more, for a day that starts beside a DST change
  return new Date(t).toISOString();
}

function apiQuery(filters) {
  const zone = getTimeZone();
  const q = { stream: filters.stream, type: filters.type, actor: filters.actor };
  try {
    if (filters.from) q.from = dayStart(filters.from, zone);
    if (filters.to) q.to = dayStart(filters.to, zone, 1);  // "To" includes its day
  } catch {
    q.from = filters.from; q.to = filters.to;  // let the server say what is wrong
  }
  return q;
}

function json(value) { return h('pre', { class: 'json' }, JSON.stringify(value, null, 2)); }

function personalPart(event) {
  if (!('personal' in event)) return null;
  const p = event.personal;
  let body;
  if (p === 'sealed') body = h('p', { class: 'sealed' }, 'Personal details sealed for your role');
  else if (p === 'forgotten') body = h('p', { class: 'sealed' }, 'Personal details forgotten: the subject was forgotten and the key destroyed');
  else body = json(p);
  return [h('h3', {}, 'Personal details'), body];
}

function eventItem(e) {
  const facts = [
    ['Position', formatNumber(e.position)],
    ['Recorded', timeElement(e.recordedAt)],
    ['Type', e.type],
    ['Stream', h('span', { class: 'mono' }, e.stream)],
    ['Version', formatNumber(e.version)],
    ['Actor', h('span', { class: 'mono' }, e.actor)],
    e.subject ? ['Subject', h('span', { class: 'mono' }, e.subject)] : null,
    e.correlationId ? ['Correlation', h('span', { class: 'mono' }, e.correlationId)] : null,
    e.causation ? ['Caused by', formatNumber(e.causation)] : null,
    ['Schema version', String(e.schemaVersion)],
    ['Hash', h('span', { class: 'mono' }, e.hash)],
    ['Previous hash', h('span', { class: 'mono' }, e.prevHash)],
  ].filter(Boolean);
  return h('li', {},
    h('details', { class: 'event' },
      h('summary', {},
        h('span', { class: 'ev-pos' }, `#${e.position}`),
        h('span', { class: 'ev-time' }, timeElement(e.recordedAt)),
        h('span', { class: 'ev-type' }, e.type),
        h('span', { class: 'ev-stream mono' }, e.stream),
        h('span', { class: 'ev-actor mono' }, e.actor),
        h('span', { class: 'ev-summary' }, e.summary || '')),
      h('div', { class: 'ev-body' },
        h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
        h('h3', {}, 'Payload'),
        json(e.payload),
        'upcastPayload' in e
          ? [h('h3', {}, `Payload as read now (schema ${e.upcastSchemaVersion})`), json(e.upcastPayload)] : null,
        personalPart(e))));
}

export async function render(main, ctx) {
  useStyle('audit');
  const inputs = {
    stream: h('input', { type: 'text', name: 'stream', autocomplete: 'off', spellcheck: 'false' }),
    type: h('input', { type: 'text', name: 'type', autocomplete: 'off', spellcheck: 'false' }),
    actor: h('input', { type: 'text', name: 'actor', autocomplete: 'off', spellcheck: 'false' }),
    from: h('input', { type: 'date', name: 'from' }),
    to: h('input', { type: 'date', name: 'to' }),
  };
  for (const k of keys) inputs[k].value = ctx.query.get(k) || '';
  const form = h('form', { class: 'filters audit-filters', role: 'search', 'aria-label': 'Audit log filters' },
    field('Stream', inputs.stream),
    field('Type', inputs.type),
    field('Actor', inputs.actor, 'Exact, or a prefix ending in * such as staff:*'),
    field('From', inputs.from),
    field('To', inputs.to, 'Includes that day'),
    h('button', { type: 'submit', class: 'primary' }, 'Filter'));
  const results = h('div', { class: 'audit-results', tabindex: -1 });
  main.append(pageTitle('Audit log'),
    h('p', { class: 'hint' }, `Every event in the log, newest first. Dates are days in ${getTimeZone()}.`),
    form, h('h2', { class: 'sr-only' }, 'Events'), results);

  const current = () => Object.fromEntries(keys.map((k) => [k, inputs[k].value.trim()]));

  async function show(filters, cursor, refocus = !!cursor) {
    if (filters.from && filters.to && filters.from > filters.to) {
      clear(results).append(errorBox('"From" must be on or before "To"'));
      if (ctx.isCurrent()) markReady('audit:results');
      return;
    }
    await section(results,
      () => api('GET', '/events', { query: { ...apiQuery(filters), cursor, limit: pageSize } }),
      (page) => [
        page.events.length
          ? h('ol', { class: 'event-list', 'aria-label': 'Events, newest first' }, page.events.map(eventItem))
          : h('p', { class: 'empty' }, page.nextCursor
            ? 'No matching events in this stretch of the log.' : 'No matching events.'),
        page.capped && page.nextCursor
          ? notice(`The server read ${formatNumber(page.scanned)} events for this page and stopped there, so it may hold fewer than ${pageSize} (or none) although older matches exist; press "Next page" to search further back.`)
          : null,
        pager((next) => show(filters, next), page.nextCursor),
        cursor ? h('p', {}, h('button', { type: 'button', onclick: () => show(filters, '', true) }, 'Newest events')) : null,
      ]);
    if (refocus && results.isConnected) results.focus();  // the pressed button is gone
    if (ctx.isCurrent()) markReady('audit:results');
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const filters = current();
    const q = new URLSearchParams();
    for (const k of keys) if (filters[k]) q.set(k, filters[k]);
    const text = q.toString();
    history.replaceState(history.state, '', `#/audit${text ? `?${text}` : ''}`);
    show(filters, '');
  });

  await show(current(), '');
  if (ctx.isCurrent()) markReady('audit');
}
