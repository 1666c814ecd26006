// Upload a roster: the file is previewed at once (POST /admin/api/imports?dry_run=1, nothing
// written), then imported (POST /admin/api/imports → {id, existing}) and followed through the
// job's events stream to its summary. docs/ADMIN.md "Routes".
import { api } from '../api.js';
import { h, clear, append, field, pageTitle, errorBox, notice, loading, formatNumber, useStyle, markReady } from '../ui.js';
import { progressView, follow, outcomeView, rejectedTable, changesTable, changeCount } from './import.js';

function uploadError(error) {
  const status = error && error.status;
  const why = status === 413 ? 'The file is too large'
    : status === 400 ? 'This file cannot be imported'
      : status === 503 ? 'The server is busy with other imports; try again in a minute' : 'The file could not be sent';
  return errorBox(error, why);
}

function tile(label, value) {
  return h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, formatNumber(value ?? 0)));
}

function preview(file, dry) {
  const c = dry.counts || {};
  const rejected = Array.isArray(dry.rejected) ? dry.rejected : [];
  const changes = Array.isArray(dry.changes) ? dry.changes : [];
  return h('section', { class: 'panel', 'aria-labelledby': 'upload-preview' },
    h('h2', { id: 'upload-preview' }, 'Preview'),
    h('p', {}, `${file.name}: ${formatNumber(c.rows ?? 0)} rows, ${formatNumber(c.memberships ?? 0)} memberships. Nothing has been written yet.`),
    h('div', { class: 'grid upload-tiles' },
      tile('Enrolled', c.enrolled), tile('Changed', c.changed), tile('Lapsed', c.lapsed),
      c.reinstated ? tile('Reinstated', c.reinstated) : null,
      tile('Left', c.left), tile('Unchanged', c.unchanged), tile('Rejected rows', c.rejectedRows)),
    h('p', { class: 'hint' }, `Passes: ${formatNumber(c.passesIssued ?? 0)} to issue, ${formatNumber(c.passesRevised ?? 0)} to revise, `
      + `${formatNumber(c.passesVoided ?? 0)} to void, ${formatNumber(c.passesUnvoided ?? 0)} to unvoid.`
      + (c.notEmailable ? ` ${formatNumber(c.notEmailable)} member(s) without an e-mail address.` : '')),
    dry.leftSkipped ? h('div', { class: 'warning' }, dry.leftSkipped) : null,
    h('h3', {}, 'Changes'),
    changeCount(c) > changes.length && changes.length ? h('p', { class: 'hint' }, `The first ${changes.length} changes are shown.`) : null,
    changesTable(changes, 'Changes the import would make'),
    h('h3', {}, 'Rejected rows'),
    rejectedTable(rejected));
}

export async function render(main, ctx) {
  useStyle('upload');
  const input = h('input', { type: 'file', accept: '.csv,text/csv' });
  const errors = h('div', { class: 'upload-errors' });
  const zone = h('div', { class: 'dropzone' },
    h('p', { class: 'dropzone-text', 'aria-hidden': 'true' }, 'Drop a roster CSV file here, or choose it below.'),
    field('Roster file', input, 'A CSV export of the membership roster (Altru “membership card” layout). It is previewed first; nothing is written until you choose Import.'),
    errors);
  const result = h('div', { class: 'upload-result' });
  let file = null;
  let busy = false;

  const reset = () => {
    file = null;
    input.value = '';
    clear(errors);
    clear(result);
    input.focus();
  };

  const doImport = async (button) => {
    clear(errors);
    button.disabled = true;
    let started;
    try {
      started = await api('POST', '/imports', { body: file, contentType: 'text/csv', query: { file_name: file.name } });
    } catch (error) {
      button.disabled = false;
      errors.append(uploadError(error));
      input.focus();
      return;
    }
    if (!ctx.isCurrent()) return;
    await track(started);
  };

  const track = async ({ id, existing }) => {
    const progress = progressView();
    const out = h('div');
    const head = h('div');
    clear(result).append(h('section', { class: 'panel', 'aria-labelledby': 'upload-import' },
      h('h2', { id: 'upload-import', tabindex: '-1' }, file ? `Import of ${file.name}` : 'Import'), head, progress.el, out));
    result.querySelector('h2').focus();
    const done = (doc) => {
      if (!ctx.isCurrent()) return;
      progress.update(doc);
      clear(out).append(outcomeView(doc, { headingLevel: 'h3', link: true }),
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: reset }, 'Import another file')));
      markReady('upload:done');
    };
    let doc;
    try {
      doc = await api('GET', `/imports/${encodeURIComponent(id)}`);
    } catch (error) {
      out.append(errorBox(error, 'The import started, but its state could not be read'),
        h('p', {}, h('a', { href: `#/imports/${encodeURIComponent(id)}` }, 'View import')));
      return;
    }
    if (!ctx.isCurrent()) return;
    if (existing) {
      const running = doc.state === 'running' || doc.state === 'queued';
      head.append(notice(running ? 'This file is already being imported: its progress is shown below.'
        : 'This file was already imported. Nothing new was written; this is that import.'));
    }
    progress.update(doc);
    if (doc.state === 'completed' || doc.state === 'failed') { done(doc); return; }
    follow(id, ctx, (d) => progress.update(d), done,
      (error) => out.append(errorBox(error, 'The progress could not be followed'),
        h('p', {}, h('a', { href: `#/imports/${encodeURIComponent(id)}` }, 'View import'))));
  };

  const choose = async (chosen) => {
    if (!chosen || busy) return;
    file = chosen;
    busy = true;
    clear(errors);
    clear(result).append(loading(`Checking ${chosen.name}…`));
    let dry;
    try {
      dry = await api('POST', '/imports', { body: chosen, contentType: 'text/csv', query: { dry_run: 1, file_name: chosen.name } });
    } catch (error) {
      busy = false;
      if (!ctx.isCurrent()) return;
      clear(result);
      errors.append(uploadError(error));
      input.focus();
      return;
    }
    busy = false;
    if (!ctx.isCurrent() || file !== chosen) return;
    const importButton = h('button', { type: 'button', class: 'primary' }, 'Import');
    importButton.addEventListener('click', () => { if (!importButton.disabled) doImport(importButton); });
    clear(result).append(preview(chosen, dry),
      h('div', { class: 'actions' }, importButton, h('button', { type: 'button', onclick: reset }, 'Choose another file')));
    markReady('upload:preview');
  };

  input.addEventListener('change', () => choose(input.files && input.files[0]));
  let depth = 0;
  const dragging = (on) => zone.classList.toggle('dragging', on);
  zone.addEventListener('dragenter', (e) => { e.preventDefault(); depth += 1; dragging(true); });
  zone.addEventListener('dragover', (e) => { e.preventDefault(); if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'; });
  zone.addEventListener('dragleave', () => { depth = Math.max(0, depth - 1); if (!depth) dragging(false); });
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    dragging(false);
    const files = e.dataTransfer && e.dataTransfer.files;
    if (!files || !files.length) return;
    if (files.length > 1) { clear(errors).append(errorBox('Drop one file at a time.')); return; }
    choose(files[0]);
  });

  append(main, [pageTitle('Upload a roster'),
    h('section', { class: 'panel', 'aria-label': 'Choose a roster' }, zone), result]);
  markReady('upload');
}
