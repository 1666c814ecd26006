// The import jobs, newest first: GET /admin/api/imports?cursor=&limit=20 (docs/ADMIN.md
// "Routes"). A job running on this server shows its percent; while one runs the page refreshes.
import { api } from '../api.js';
import { h, section, table, pageTitle, timeElement, formatNumber, pager, useStyle, markReady } from '../ui.js';
import { stateBadge } from './import.js';

const countWords = [
  ['enrolled', 'enrolled'], ['changed', 'changed'], ['lapsed', 'lapsed'], ['reinstated', 'reinstated'],
  ['left', 'left'], ['unchanged', 'unchanged'], ['passesIssued', 'pass issued', 'passes issued'],
  ['passesVoided', 'pass voided', 'passes voided'],
];

function countsText(job) {
  const c = job.counts || {};
  const parts = countWords.filter(([key]) => c[key]).map(([key, one, many]) => `${formatNumber(c[key])} ${c[key] === 1 || !many ? one : many}`);
  if (parts.length) return parts.join(', ');
  return Object.keys(c).length ? 'no changes' : '—';
}

function stateCell(job) {
  const p = job.progress;
  const running = job.state === 'running' || job.state === 'queued';
  return h('span', { class: 'import-state' }, stateBadge(job.state),
    running && p ? h('span', {}, ` ${Math.floor(p.percent ?? 0)}%`) : null,
    job.reason ? h('span', { class: 'hint' }, ` ${job.reason}`) : null);
}

export async function render(main, ctx) {
  useStyle('upload');
  const body = h('div');
  main.append(pageTitle('Imports', ctx.can('staff') ? h('a', { href: '#/upload', class: 'button' }, 'Upload a roster') : null), body);
  let timer = 0;
  const load = async (cursor) => {
    clearTimeout(timer);
    const data = await section(body, () => api('GET', '/imports', { query: { cursor, limit: 20 } }), (data) => [
      table('Import jobs, newest first', ['Started', 'File', 'State', 'By', 'Rows', 'Rejected', 'What it did'],
        (data.imports || []).map((job) => [
          timeElement(job.startedAt),
          h('a', { href: `#/imports/${encodeURIComponent(job.importId)}`, class: 'import-file' }, job.fileName || job.importId),
          stateCell(job),
          job.actor || '—',
          formatNumber(job.rowCount ?? 0),
          formatNumber(job.rejected ?? 0),
          countsText(job),
        ]), { hideCaption: true, empty: 'No roster has been imported yet.' }),
      pager((next) => load(next), data.nextCursor),
    ]);
    if (data && (data.imports || []).some((j) => j.state === 'running' || j.state === 'queued')) {
      timer = setTimeout(() => { if (ctx.isCurrent()) load(cursor); }, 2000);
    }
    markReady('imports');
  };
  await load(undefined);
}
