// Members: the member list (docs/ADMIN.md "Member list"), searched as one types, filtered by
// status, level, e-mail and installation. Only the page the server answers is drawn; the query
// lives in the hash (#/members?q=…) so a reload or Back restores it.
import { api } from '../api.js';
import { h, field, select, table, errorBox, loading, pageTitle, statusBadge, markReady, useStyle, clear, actionButton } from '../ui.js';

const statuses = [['all', 'All'], ['active', 'Active'], ['lapsed', 'Lapsed'], ['left', 'Left'], ['forgotten', 'Forgotten']];
const yesNo = [['', 'Any'], ['yes', 'Yes'], ['no', 'No']];
const emailNames = { none: 'Not e-mailed', requested: 'Queued', sent: 'Sent', retrying: 'Retrying', failed: 'Failed' };
const emailKinds = { sent: 'ok', failed: 'bad', requested: 'warn', retrying: 'warn' };

// A roster date (YYYY-MM-DD) as a date, not shifted by a time zone.
export function formatDay(text) {
  if (!text) return '—';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return String(text);
  const d = new Date(`${text}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? text : new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}

// The member's standing: forgotten, left the roster, active, else lapsed (with the roster's status).
export function memberBadge(m) {
  if (m.forgotten) return statusBadge('Forgotten', 'bad');
  const badges = m.active ? [statusBadge(m.status || 'Active', 'ok')]
    : [statusBadge('Lapsed', 'warn'), m.status && !/^lapsed$/i.test(m.status) ? ` (${m.status})` : null];
  if (m.leftRoster) badges.push(' ', statusBadge('Left roster', 'warn'));
  return h('span', { class: 'badges' }, badges);
}

export function emailBadge(status, hasEmail = true) {
  if (!hasEmail && (!status || status === 'none')) return statusBadge('No address');
  return statusBadge(emailNames[status] || status || '—', emailKinds[status]);
}

const keys = ['q', 'status', 'level', 'emailed', 'on_device'];

export async function render(main, ctx) {
  useStyle('members');
  const state = {};
  for (const k of keys) state[k] = ctx.query.get(k) || '';
  if (!statuses.some(([v]) => v === state.status)) state.status = 'all';
  for (const k of ['emailed', 'on_device']) if (!yesNo.some(([v]) => v === state[k])) state[k] = '';

  const search = h('input', { type: 'search', value: state.q, autocomplete: 'off', spellcheck: 'false' });
  const status = select(statuses, state.status);
  const level = h('input', { type: 'text', value: state.level, autocomplete: 'off', size: 12 });
  const emailed = select(yesNo, state.emailed);
  const onDevice = select(yesNo, state.on_device);
  const results = h('div', { class: 'member-results' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Members' },
    h('div', { class: 'search-field' }, field('Search members', search, 'Membership id, name or e-mail')),
    field('Status', status), field('Level', level), field('E-mailed', emailed), field('Installed', onDevice));
  main.append(h('div', { class: 'members-page' }, pageTitle('Members'), form, results));

  let controller = null;
  let timer = 0;
  let seq = 0;
  let first = true;
  let page = 1;

  const read = () => ({
    q: search.value.trim(), status: status.value, level: level.value.trim(),
    emailed: emailed.value, on_device: onDevice.value,
  });

  // The query in the hash, without a history entry and without a re-route.
  const keepInHash = (q) => {
    const params = new URLSearchParams();
    for (const k of keys) if (q[k] && !(k === 'status' && q[k] === 'all')) params.set(k, q[k]);
    const text = params.toString();
    const hash = `#/members${text ? `?${text}` : ''}`;
    if (location.hash !== hash) history.replaceState(history.state, '', hash);
  };

  const draw = (data, q) => {
    const rows = data.members.map((m) => [
      h('span', { class: 'mono' }, m.membershipId),
      h('a', { href: `#/members/${encodeURIComponent(m.membershipId)}` }, m.name || (m.forgotten ? 'Forgotten member' : m.membershipId)),
      m.level || '—',
      memberBadge(m),
      formatDay(m.expires),
      emailBadge(m.emailStatus, m.hasEmail),
      `${m.passesInstalled ?? 0} / ${m.passes ?? 0}`,
    ]);
    const parts = [];
    const filtered = q.q || q.level || q.emailed || q.on_device || q.status !== 'all';
    if (rows.length) {
      parts.push(h('p', { class: 'result-count', role: 'status' },
        `${rows.length} member${rows.length === 1 ? '' : 's'} on page ${page}${data.capped && data.nextCursor ? ' — still searching…' : ''}`));
      parts.push(table('Members', ['Membership id', 'Name', 'Level', 'Status', 'Expires', 'E-mail', 'Passes installed'], rows, { hideCaption: true }));
    } else if (data.capped && data.nextCursor) {
      parts.push(h('p', { class: 'result-count', role: 'status' }, 'No match in this stretch of the roster — still searching…'));
    } else {
      parts.push(h('p', { class: 'empty result-count', role: 'status' },
        page > 1 ? 'No more members.' : (filtered ? 'No member matches.' : 'No members yet.')));
    }
    const nav = [];
    if (page > 1) nav.push(actionButton('First page', () => run(null, 1)));
    if (data.nextCursor) nav.push(actionButton('Next page', () => run(data.nextCursor, page + 1)));
    if (nav.length) parts.push(h('div', { class: 'pager actions' }, nav));
    clear(results).append(...parts);
  };

  async function run(cursor = null, pageNumber = 1) {
    clearTimeout(timer);
    if (!ctx.isCurrent()) return;
    const q = read();
    keepInHash(q);
    if (controller) controller.abort();
    const mine = ++seq;
    controller = new AbortController();
    const { signal } = controller;
    results.setAttribute('aria-busy', 'true');
    if (!results.firstChild) results.append(loading('Searching…'));
    try {
      const data = await api('GET', '/members', {
        signal,
        query: { q: q.q, status: q.status, level: q.level, emailed: q.emailed, on_device: q.on_device, cursor, limit: 50 },
      });
      if (mine !== seq || !ctx.isCurrent()) return;
      page = pageNumber;
      draw(data, q);
    } catch (error) {
      if (error.name === 'AbortError' || mine !== seq || !ctx.isCurrent()) return;
      clear(results).append(errorBox(error, 'The search failed'));
    }
    results.removeAttribute('aria-busy');
    markReady('members:results');
    if (first) { first = false; markReady('members'); }
  }

  const soon = () => { clearTimeout(timer); timer = setTimeout(() => run(), 150); };
  search.addEventListener('input', soon);
  level.addEventListener('input', soon);
  for (const s of [status, emailed, onDevice]) s.addEventListener('change', () => run());
  form.addEventListener('submit', (event) => { event.preventDefault(); run(); });

  await run();
}
