// The dashboard: GET /admin/api/dashboard (docs/ADMIN.md "Dashboard") drawn as stat tiles, the
// last import, the state of the history's verification and a bar chart of events per day.
import { api } from '../api.js';
import {
  h, section, table, pageTitle, statusBadge, timeElement, formatNumber, setTimeZone, useStyle, markReady,
} from '../ui.js';

const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

// The days of eventsPerDay are dates of the organisation's zone already ("2026-01-14"): shown as
// they are, whatever zone the browser or the organisation is in.
const dayFormat = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
function formatDay(date) {
  const d = new Date(`${date}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? String(date) : dayFormat.format(d);
}

function tile(label, value, detail) {
  return h('div', { class: 'stat' },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value' }, value),
    detail ? h('div', { class: 'detail' }, detail) : null);
}

function tiles(title, items) {
  const id = `dash-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return h('section', { 'aria-labelledby': id },
    h('h2', { id }, title),
    h('div', { class: 'grid dash-tiles' }, items));
}

function n(value) { return formatNumber(value ?? 0); }

function share(part, whole) { return whole > 0 ? percent.format(part / whole) : '—'; }

const stateKinds = { completed: 'ok', failed: 'bad', running: 'warn' };

// "passesIssued" → "passes issued"
function words(key) { return key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase(); }

function lastImport(job) {
  const body = !job ? [h('p', { class: 'empty' }, 'No roster has been imported yet.')] : [
    h('dl', { class: 'facts' },
      h('dt', {}, 'File'), h('dd', { class: 'mono' }, job.fileName || '—'),
      h('dt', {}, 'State'), h('dd', {}, statusBadge(job.state, stateKinds[job.state])),
      h('dt', {}, 'Started'), h('dd', {}, timeElement(job.startedAt)),
      job.finishedAt ? [h('dt', {}, 'Finished'), h('dd', {}, timeElement(job.finishedAt))] : null,
      h('dt', {}, 'Rows'), h('dd', {}, n(job.rowCount), job.rejected ? ` (${n(job.rejected)} rejected)` : ''),
      h('dt', {}, 'By'), h('dd', {}, job.actor || '—'),
      job.reason ? [h('dt', {}, 'Reason'), h('dd', {}, job.reason)] : null),
    countsList(job.counts),
    h('p', {}, h('a', { href: `#/imports/${encodeURIComponent(job.importId)}` }, 'Open this import')),
  ];
  return h('section', { class: 'panel', 'aria-labelledby': 'dash-import' }, h('h2', { id: 'dash-import' }, 'Last import'), body);
}

function countsList(counts) {
  const entries = Object.entries(counts || {}).filter(([key, value]) => value && key !== 'rows');
  if (!entries.length) return null;
  return h('ul', { class: 'dash-counts', 'aria-label': 'What the import did' },
    entries.map(([key, value]) => h('li', {}, h('strong', {}, n(value)), ' ', words(key))));
}

function history(d) {
  const v = d.lastVerification;
  const head = d.head || {};
  const verified = v && typeof v === 'object';
  return h('section', { class: 'panel', 'aria-labelledby': 'dash-history' },
    h('h2', { id: 'dash-history' }, 'History'),
    verified
      ? h('p', { class: 'dash-verified' }, statusBadge('verified', 'ok'), ' History verified at ', timeElement(v.signedAt),
        ' (head ', h('span', { class: 'mono' }, String(v.headHash || '').slice(0, 12)), ')')
      : h('p', {}, statusBadge('not verified', 'warn'), ' History never verified'),
    d.verificationProblem ? h('div', { class: 'warning' }, `The verification record could not be read: ${d.verificationProblem}`) : null,
    h('dl', { class: 'facts' },
      verified ? [h('dt', {}, 'Verified up to'), h('dd', {}, `position ${n(v.position)}`),
        h('dt', {}, 'Events since'), h('dd', {}, n(v.eventsSince))] : null,
      h('dt', {}, 'Current head'), h('dd', {}, `position ${n(head.position)}`),
      head.hash ? [h('dt', {}, 'Head hash'), h('dd', { class: 'mono', title: head.hash }, String(head.hash).slice(0, 12))] : null,
      d.viewsPosition !== undefined && d.viewsPosition !== head.position
        ? [h('dt', {}, 'Views at'), h('dd', {}, `position ${n(d.viewsPosition)}`)] : null),
    h('p', {}, h('a', { href: '#/verification' }, 'Verification details')));
}

// A hand-drawn bar chart: one bar per day, the scale from 0 to the busiest day. The SVG is
// stretched to the width (no text inside it, so nothing is distorted); the labels are HTML.
function chart(days) {
  const list = Array.isArray(days) ? days : [];
  const values = list.map((day) => Number(day.events) || 0);
  const max = Math.max(0, ...values);
  const total = values.reduce((a, b) => a + b, 0);
  const first = list.length ? formatDay(list[0].date) : '';
  const last = list.length ? formatDay(list[list.length - 1].date) : '';
  const busiest = max > 0 ? list[values.indexOf(max)] : null;
  const summary = list.length
    ? `Events per day from ${first} to ${last} (today, so far): ${n(total)} in all` +
      (busiest ? `, at most ${n(max)} on ${formatDay(busiest.date)}.` : ', none on any day.')
    : 'No daily counts.';
  const width = 300;
  const height = 100;
  const step = list.length ? width / list.length : width;
  const bars = list.map((day, i) => {
    const value = values[i];
    const barHeight = max > 0 ? Math.max(value > 0 ? 1.5 : 0, (value / max) * (height - 2)) : 0;
    return h('svg:rect', {
      class: i === list.length - 1 ? 'bar today' : 'bar',
      x: (i * step + step * 0.12).toFixed(2), width: (step * 0.76).toFixed(2),
      y: (height - barHeight).toFixed(2), height: barHeight.toFixed(2),
    }, h('svg:title', {}, `${formatDay(day.date)}: ${n(value)} event${value === 1 ? '' : 's'}`));
  });
  const svg = h('svg:svg', {
    class: 'dash-bars', viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none',
    role: 'img', 'aria-label': summary, focusable: 'false',
  },
  h('svg:title', {}, summary),
  h('svg:line', { class: 'grid-line', x1: 0, x2: width, y1: 2, y2: 2 }),
  h('svg:line', { class: 'base-line', x1: 0, x2: width, y1: height, y2: height }),
  bars);
  const rows = list.map((day) => [formatDay(day.date), n(day.events), n(day.pushesSent), n(day.pushesFailed), n(day.emailsSent)]);
  return h('section', { class: 'panel', 'aria-labelledby': 'dash-activity' },
    h('h2', { id: 'dash-activity' }, 'Events per day, last 30 days'),
    h('p', { class: 'dash-summary' }, summary),
    h('figure', { class: 'dash-chart' },
      h('div', { class: 'dash-y', 'aria-hidden': 'true' }, h('span', {}, n(max)), h('span', {}, '0')),
      svg,
      h('div', { class: 'dash-x', 'aria-hidden': 'true' }, h('span', {}, first), h('span', {}, `${last} (today)`))),
    h('details', {},
      h('summary', {}, 'The numbers by day'),
      table('Events, pushes and e-mails per day', ['Day', 'Events', 'Pushes sent', 'Pushes failed', 'E-mails sent'], rows,
        { empty: 'No daily counts.' })));
}

function draw(d) {
  if (d.timeZone) setTimeZone(d.timeZone);
  const m = d.members || {};
  const p = d.passes || {};
  const e = d.emails || {};
  const push = d.pushes24h || {};
  const dev = d.devices || {};
  return [
    h('p', { class: 'dash-generated' }, 'As of ', timeElement(d.generatedAt), d.timeZone ? ` (${d.timeZone})` : ''),
    tiles('Members', [
      tile('Active', n(m.active)),
      tile('Lapsed', n(m.lapsed)),
      tile('Left roster', n(m.leftRoster)),
      tile('Forgotten', n(m.forgotten)),
      tile('Total', n(m.total)),
    ]),
    tiles('Passes and devices', [
      tile('Passes active', n(p.active), `of ${n(p.total)} issued`),
      tile('Passes voided', n(p.voided)),
      tile('Installed', `${n(p.installed)} of ${n(p.total)}`, `${share(p.installed, p.total)} of issued passes on a device`),
      tile('Devices registered', n(dev.registered), `${n(dev.known)} ever registered`),
    ]),
    tiles('E-mails and pushes', [
      tile('E-mails pending', n(e.pending), `${n(e.requested)} requested, ${n(e.retrying)} retrying`),
      tile('E-mails failed', n(e.failed)),
      tile('E-mails sent', n(e.sent)),
      tile('Pushes sent, last 24 h', n(push.sent), `${n(push.failed)} failed`),
    ]),
    h('div', { class: 'dash-pair' }, lastImport(d.lastImport), history(d)),
    chart(d.eventsPerDay),
  ];
}

export async function render(main, ctx) {
  useStyle('dashboard');
  const body = h('div', { class: 'dashboard' });
  main.append(pageTitle('Dashboard'), body);
  await section(body, () => api('GET', '/dashboard'), draw);
  if (ctx.isCurrent()) markReady('dashboard');
}
