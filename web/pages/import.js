// One import job: GET /admin/api/imports/{id} (docs/ADMIN.md "Routes"), followed live through
// /admin/api/imports/{id}/events while it runs. The helpers below are shared with upload.js.
// Two shapes come back: a job of this server {state, progress, summary?, error?} and an older
// one as the views have it {actor, startedAtUs, counts, rejections, reason?}; both are read here.
import { api } from '../api.js';
import {
  h, clear, append, field, section, table, pageTitle, statusBadge, timeElement, formatNumber,
  errorBox, useStyle, markReady,
} from '../ui.js';

const kinds = { completed: 'ok', failed: 'bad', running: 'warn', queued: 'warn' };
const ended = (doc) => doc.state === 'completed' || doc.state === 'failed';

export function stateBadge(state) { return statusBadge(state || 'unknown', kinds[state]); }

export function countsOf(doc) { return (doc.summary && doc.summary.counts) || doc.counts || {}; }

export function rejectionsOf(doc) {
  if (doc.summary && Array.isArray(doc.summary.rejected)) return doc.summary.rejected;
  return Array.isArray(doc.rejections) ? doc.rejections : [];
}

function usIso(us) { return us ? new Date(us / 1000).toISOString() : null; }
export function startedOf(doc) { return doc.startedAt || usIso(doc.startedAtUs); }
export function finishedOf(doc) { return doc.finishedAt || usIso(doc.finishedAtUs); }

const n = (value) => formatNumber(value ?? 0);
function plural(count, one, many) { return `${n(count)} ${count === 1 ? one : many}`; }

// The job's counts in plain words: "6 memberships enrolled", "7 passes issued, 0 revised, 1
// voided, 0 unvoided", "1 member has no e-mail address: …".
export function summaryList(counts, label = 'What the import did') {
  const c = counts || {};
  const m = (key, verb) => `${plural(c[key] ?? 0, 'membership', 'memberships')} ${verb}`;
  const items = [
    m('enrolled', 'enrolled'),
    m('changed', 'changed'),
    m('lapsed', 'lapsed'),
    c.reinstated ? m('reinstated', 'reinstated') : null,
    m('left', 'left the roster'),
    m('unchanged', 'unchanged'),
    `${plural(c.passesIssued ?? 0, 'pass', 'passes')} issued, ${n(c.passesRevised)} revised, ${n(c.passesVoided)} voided, ${n(c.passesUnvoided)} unvoided`,
    c.notEmailable
      ? `${plural(c.notEmailable, 'member has', 'members have')} no e-mail address: enrolled, but cannot be e-mailed a pass`
      : null,
    c.rejectedRows
      ? `${plural(c.rejectedRows, 'row', 'rows')} rejected (${plural(c.rejectedMemberships ?? 0, 'membership', 'memberships')} left as they were)`
      : null,
    c.forgottenSkipped ? `${plural(c.forgottenSkipped, 'forgotten member', 'forgotten members')} skipped` : null,
  ];
  return h('ul', { class: 'import-summary', 'aria-label': label },
    items.filter(Boolean).map((text) => h('li', {}, text)),
    h('li', { class: 'muted' }, `${plural(c.rows ?? 0, 'row', 'rows')} read, ${plural(c.memberships ?? 0, 'membership', 'memberships')} in the file`));
}

export function rejectedTable(rows) {
  return table('Rejected rows', ['Line', 'Column', 'Reason', 'Value'],
    rows.map((r) => [String(r.line ?? '—'), r.column || '—', r.reason || '—', r.value ? h('span', { class: 'mono' }, r.value) : '—']),
    { hideCaption: true, empty: 'No row was rejected.' });
}

// "8-10000005: changed level; passes +0 revised 1 voided 0 unvoided 0" → cells.
function changeCells(text) {
  const at = text.indexOf(': ');
  if (at < 0) return ['—', '—', '—', text];
  const id = text.slice(0, at);
  const rest = text.slice(at + 2);
  let kind = 'Passes';
  if (rest.startsWith('enrol')) kind = 'Enrol';
  else if (rest.startsWith('left the roster')) kind = 'Left the roster';
  else if (/\blapsed;/.test(rest)) kind = 'Lapse';
  else if (/\breinstated;/.test(rest)) kind = 'Reinstate';
  else if (/\bchanged /.test(rest)) kind = 'Change';
  const fields = (rest.match(/\bchanged ([^;]+);/) || [])[1];
  let passes = rest;
  const p = rest.match(/passes \+(\d+) revised (\d+) voided (\d+) unvoided (\d+)/);
  if (p) {
    const parts = [['issued', p[1]], ['revised', p[2]], ['voided', p[3]], ['unvoided', p[4]]]
      .filter(([, v]) => v !== '0').map(([w, v]) => `${v} ${w}`);
    passes = parts.length ? parts.join(', ') : 'none';
  } else if (kind === 'Enrol') {
    passes = rest.replace(/^enrol, /, '').replace('pass(es)', 'to issue');
  } else if (kind === 'Left the roster') {
    passes = rest.replace(/^left the roster, /, '');
  }
  return [h('span', { class: 'mono' }, id), kind, fields ? fields.split(' ').join(', ') : '—', passes];
}

export function changeCount(c) {
  return ['enrolled', 'changed', 'lapsed', 'reinstated', 'left'].reduce((sum, k) => sum + (c[k] ?? 0), 0);
}

export function changesTable(changes, caption = 'Changes') {
  return table(caption, ['Membership ID', 'Kind', 'Fields', 'Passes'], (changes || []).map(changeCells),
    { hideCaption: true, empty: 'No membership changes.' });
}

function phaseText(doc) {
  const p = doc.progress || {};
  const percent = ended(doc) && doc.state === 'completed' ? 100 : Math.floor(p.percent ?? 0);
  if (doc.state === 'queued') return 'Waiting for the other imports to finish — 0%';
  if (doc.state === 'completed') return 'Done — 100%';
  if (doc.state === 'failed') return `Failed — ${percent}%`;
  if (p.phase === 'reading') return `Reading the file — ${percent}%`;
  if (p.phase === 'applying') {
    return `Applying the memberships (${n(p.membershipsDone)} of ${n(p.membershipsTotal)}) — ${percent}%`;
  }
  return `${p.phase || doc.state || 'Working'} — ${percent}%`;
}

// A <progress> labelled "Import progress", the phase and percent as text (read out), and the
// note that leaving the page does not stop the import. `update(doc)` redraws it.
export function progressView() {
  const bar = h('progress', { max: 100, value: 0 });
  const text = h('p', { class: 'import-phase', role: 'status', 'aria-live': 'polite' }, 'Starting…');
  const el = h('div', { class: 'import-progress' }, field('Import progress', bar), text,
    h('p', { class: 'hint' }, 'Leaving this page does not stop the import: it goes on on the server, and the Imports page shows it.'));
  return {
    el,
    update(doc) {
      const p = doc.progress || {};
      const percent = doc.state === 'completed' ? 100 : Math.max(0, Math.min(100, p.percent ?? 0));
      bar.value = percent;
      bar.textContent = `${Math.floor(percent)}%`;
      text.textContent = phaseText(doc);
    },
  };
}

// Follows a job through its events stream until 'done' (or the page is left); each event's
// data is the job as GET gives it. Returns stop(). A stream that cannot be opened falls back to
// GET every second so a failed request is shown, never a frozen bar.
export function follow(id, ctx, onUpdate, onDone, onError) {
  let source = null;
  let timer = 0;
  let stopped = false;
  const stop = () => {
    stopped = true;
    if (source) source.close();
    clearTimeout(timer);
    window.removeEventListener('hashchange', stop);
  };
  const handle = (event, last) => {
    if (stopped) return;
    if (!ctx.isCurrent()) { stop(); return; }
    let doc;
    try { doc = JSON.parse(event.data); } catch { return; }
    if (last || ended(doc)) { stop(); onDone(doc); } else onUpdate(doc);
  };
  const open = () => {
    if (stopped) return;
    source = new EventSource(`/admin/api/imports/${encodeURIComponent(id)}/events`);
    source.addEventListener('progress', (e) => handle(e, false));
    source.addEventListener('done', (e) => handle(e, true));
    source.addEventListener('error', () => {
      if (stopped || source.readyState !== EventSource.CLOSED) return;  // it reconnects itself
      timer = setTimeout(async () => {
        if (stopped || !ctx.isCurrent()) { stop(); return; }
        try {
          const doc = await api('GET', `/imports/${encodeURIComponent(id)}`);
          if (stopped) return;
          if (ended(doc)) { stop(); onDone(doc); } else { onUpdate(doc); open(); }
        } catch (error) { stop(); onError(error); }
      }, 1000);
    });
  };
  window.addEventListener('hashchange', stop);
  open();
  return stop;
}

// What a finished (or refused) job did: counts in words, the refusal, rejected rows, changes.
export function outcomeView(doc, { headingLevel = 'h2', link = false } = {}) {
  const error = doc.error || doc.reason;
  const rows = rejectionsOf(doc);
  const summary = doc.summary || {};
  const sub = headingLevel === 'h2' ? 'h3' : 'h4';
  return h('div', { class: 'import-outcome' },
    h(headingLevel, {}, doc.state === 'failed' ? 'The import failed' : 'Summary'),
    doc.state === 'failed' && error ? errorBox(error, doc.rejected === true ? 'The file was refused, nothing was written' : 'Why') : null,
    doc.state === 'failed' && !error ? errorBox('The import failed; the server gave no reason.') : null,
    doc.state !== 'failed' && error ? h('div', { class: 'warning' }, error) : null,
    doc.state !== 'failed' || Object.keys(countsOf(doc)).length ? summaryList(countsOf(doc)) : null,
    summary.leftSkipped ? h('div', { class: 'warning' }, summary.leftSkipped) : null,
    rows.length ? [h(sub, {}, 'Rejected rows'), rejectedTable(rows)] : null,
    Array.isArray(summary.changes) && summary.changes.length ? [h(sub, {}, 'Changes'),
      changeCount(countsOf(doc)) > summary.changes.length ? h('p', { class: 'hint' }, `The first ${summary.changes.length} changes are shown.`) : null,
      changesTable(summary.changes)] : null,
    link ? h('p', {}, h('a', { href: `#/imports/${encodeURIComponent(doc.importId)}` }, 'View import')) : null);
}

// A job of this server has no actor or times: those come from the list's row.
async function load(id) {
  const doc = await api('GET', `/imports/${encodeURIComponent(id)}`);
  if (doc.actor && (doc.startedAt || doc.startedAtUs)) return doc;
  try {
    const list = await api('GET', '/imports', { query: { limit: 100 } });
    const row = (list.imports || []).find((r) => r.importId === doc.importId);
    return row ? { ...row, ...doc, rejected: doc.rejected, counts: doc.counts || row.counts } : doc;
  } catch { return doc; }
}

function facts(doc) {
  const rowCount = doc.rowCount ?? countsOf(doc).rows;
  return h('dl', { class: 'facts' },
    h('dt', {}, 'File'), h('dd', { class: 'mono' }, doc.fileName || '—'),
    h('dt', {}, 'State'), h('dd', {}, stateBadge(doc.state)),
    h('dt', {}, 'Started'), h('dd', {}, timeElement(startedOf(doc))),
    h('dt', {}, 'Finished'), h('dd', {}, timeElement(finishedOf(doc))),
    h('dt', {}, 'By'), h('dd', {}, doc.actor || '—'),
    h('dt', {}, 'Rows'), h('dd', {}, rowCount === undefined ? '—' : n(rowCount)),
    h('dt', {}, 'Import ID'), h('dd', { class: 'mono' }, doc.importId || '—'));
}

export async function render(main, ctx) {
  useStyle('upload');
  const id = ctx.params.id;
  const head = pageTitle('Import');
  const body = h('div');
  main.append(head, h('p', {}, h('a', { href: '#/imports' }, 'All imports')), body);
  const draw = (doc) => {
    clear(head.querySelector('h1')).append(`Import of ${doc.fileName || id}`);
    document.title = `Import of ${doc.fileName || id} — PassLedger`;
    const factsSlot = h('section', { class: 'panel', 'aria-label': 'The import' }, facts(doc));
    const rest = h('div');
    const finish = (final) => {
      clear(factsSlot).append(facts(final));
      clear(rest).append(outcomeView(final));
    };
    if (ended(doc)) {
      finish(doc);
    } else {
      const progress = progressView();
      progress.update(doc);
      append(rest, [h('section', { class: 'panel', 'aria-label': 'Progress' }, progress.el)]);
      follow(id, ctx, (d) => progress.update(d), async (d) => {
        progress.update(d);
        let final = d;
        try { final = await load(id); } catch { /* the event's copy will do */ }
        if (!ctx.isCurrent()) return;
        finish({ ...doc, ...final });
        rest.prepend(progress.el);
        markReady('import:done');
      }, (error) => rest.append(errorBox(error, 'The progress could not be followed')));
    }
    return [factsSlot, rest];
  };
  await section(body, () => load(id), draw);
  markReady('import');
}
