// The pass designer (admin): a pass type's template draft — colours, texts, images, field
// labels, the pass.json template — beside a live preview of a member's pass. A change is saved
// as the draft (PUT: the server checks it), then previewed; Publish revises every pass of the
// type (docs/ADMIN.md "Templates").
import { api } from '../api.js';
import { h, clear, field, errorBox, notice, loading, pageTitle, confirmDialog, useStyle, markReady, formatNumber } from '../ui.js';
import { passCard } from '../pass-card.js';

const enc = encodeURIComponent;
const colours = [['background', 'Background colour'], ['foreground', 'Foreground colour'], ['label', 'Label colour']];
const names = { organizationName: 'Organisation name', description: 'Description', logoText: 'Logo text', programName: 'Programme name' };
const zones = ['header', 'primary', 'secondary', 'auxiliary', 'back'];
const count = (n, one, many) => `${formatNumber(n)} ${n === 1 ? one : many}`;

function toHex(rgb) {
  const m = /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)/.exec(rgb || '');
  if (m) return `#${m.slice(1, 4).map((n) => Math.min(255, +n).toString(16).padStart(2, '0')).join('')}`;
  const x = /^#([0-9a-f]{6}|[0-9a-f]{3})$/i.exec((rgb || '').trim());
  return x ? `#${(x[1].length === 3 ? x[1].replace(/./g, '$&$&') : x[1]).toLowerCase()}` : '#000000';
}
function toRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${n >> 16}, ${(n >> 8) & 255}, ${n & 255})`;
}

// Where each field object's "label" string is in the template: key → [{start, end, label}].
// Strings, and Mustache tags outside strings, are skipped whole so their braces do not count;
// only objects with one "key" and one plain "label" string are listed.
function labelSpots(src) {
  const spots = new Map();
  const stack = [];
  let name = null;
  for (let i = 0; i < src.length; i += 1) {
    const c = src[i];
    if (c === '{' && src[i + 1] === '{') {
      const close = src[i + 2] === '{' ? '}}}' : '}}';
      const e = src.indexOf(close, i + 2);
      if (e < 0) break;
      i = e + close.length - 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      const tok = { start: i, end: j + 1, raw: src.slice(i + 1, j) };
      const k = j + 1 + (/^\s*/.exec(src.slice(j + 1, j + 200))[0].length);
      if (src[k] === ':') { name = tok.raw; i = k; continue; }
      if (name !== null && stack.length) stack[stack.length - 1].push([name, tok]);
      name = null;
      i = j;
    } else if ('{}[],'.includes(c)) {
      name = null;
      if (c === '{') stack.push([]);
      if (c !== '}') continue;
      const props = stack.pop() || [];
      const keys = props.filter(([n]) => n === 'key');
      const labels = props.filter(([n]) => n === 'label');
      if (keys.length !== 1 || labels.length !== 1 || labels[0][1].raw.includes('{{')) continue;
      try {
        const key = JSON.parse(`"${keys[0][1].raw}"`);
        const { start, end, raw } = labels[0][1];
        spots.set(key, [...(spots.get(key) || []), { start, end, label: JSON.parse(`"${raw}"`) }]);
      } catch { /* not a plain string: left to the textarea */ }
    }
  }
  return spots;
}

// A key's label spots when they can be rewritten unambiguously: every object with that key
// (alternatives in Mustache sections) has the same label.
function editable(src, key) {
  const list = labelSpots(src).get(key) || [];
  return list.length && list.every((s) => s.label === list[0].label) ? list : null;
}

function base64Of(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

// The pass type (?type= or the first member's first pass) and the member to preview.
async function findStart(query) {
  const type = query.get('type');
  const { members } = await api('GET', '/members', { query: { limit: 20 } });
  const first = members.find((m) => m.passes > 0);
  if (!first) return type ? { type, member: '' } : null;
  if (type) return { type, member: first.membershipId };
  const detail = await api('GET', `/members/${enc(first.membershipId)}`, { query: { timeline_limit: 1 } });
  const pass = (detail.passes || [])[0];
  return pass ? { type: pass.passTypeId, member: first.membershipId } : null;
}

const group = (legend, ...children) => h('fieldset', {}, h('legend', {}, legend), children);

export async function render(main, ctx) {
  useStyle('designer');
  const body = h('div', {}, loading());
  main.append(pageTitle('Pass designer'), body);
  let start;
  let doc;
  try {
    start = await findStart(ctx.query);
    if (start) doc = await api('GET', `/templates/${enc(start.type)}`);
  } catch (error) {
    clear(body).append(errorBox(error, 'The template could not be loaded'));
  }
  if (!ctx.isCurrent()) return;
  if (!doc) {
    if (!start) {
      clear(body).append(h('div', { class: 'notice', role: 'status' },
        'No member has a pass yet, so there is no pass type to design and no one to preview it with. ',
        h('a', { href: '#/upload' }, 'Upload a roster'), ' first, then come back here.'));
    }
    markReady('designer');
    return;
  }
  const { type } = start;
  const base = `/templates/${enc(type)}`;
  const imageUrl = (p) => `/admin/api/templates/${enc(type)}/image?path=${enc(p)}`;
  const pending = {};  // image path → base64 chosen, not saved yet
  const slots = {};    // error slots by the name the server's message starts with
  const withSlot = (f, name, ...extra) => { slots[name] = h('div'); f.append(...extra, slots[name]); return f; };

  const colourInputs = {};
  const colourSet = group('Colours', colours.map(([key, label]) => {
    const input = h('input', { type: 'color', value: toHex(doc.colors[key]) });
    const shown = h('span', { class: 'hint mono' }, toRgb(input.value));
    input.addEventListener('input', () => { shown.textContent = toRgb(input.value); schedule(); });
    colourInputs[key] = input;
    const f = withSlot(field(label, input), `colors.${key}`, shown);
    f.classList.add('colour');
    return f;
  }));

  const first3 = ['organizationName', 'description', 'logoText'];
  const textKeys = [...first3, ...Object.keys(doc.texts).filter((k) => !first3.includes(k))];
  const textInputs = {};
  const textSet = group('Texts', textKeys.map((key) => {
    const long = key === 'contact' || key === 'hours';
    const input = long ? h('textarea', { rows: 2, class: 'short' }) : h('input', { type: 'text', autocomplete: 'off' });
    input.value = doc.texts[key] || '';
    input.addEventListener('input', schedule);
    textInputs[key] = input;
    const hint = long ? 'On the back of the pass when set; line breaks allowed'
      : `${first3.slice(0, 2).includes(key) ? 'Required; a' : 'A'}t most 200 bytes on one line`;
    const label = names[key] || key.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());
    return withSlot(field(label, input, hint), `texts.${key}`);
  }));

  const imageViews = {};
  const sizeText = (p) => {
    const i = doc.images[p];
    return i ? `Now ${i.width} × ${i.height} px, ${formatNumber(i.bytes)} bytes` : 'None yet';
  };
  const images = [['logo.png', 'Logo'], ...(doc.images['logo@2x.png'] ? [['logo@2x.png', 'Logo (@2x)']] : []), ['icon.png', 'Icon']];
  const imageSet = group('Images',
    h('p', { class: 'hint' }, 'PNG files. Sharp screens show the @2x logo when there is one: change both.'),
    images.map(([path, label]) => {
      const input = h('input', { type: 'file', accept: 'image/png,.png' });
      const img = h('img', { class: 'current', alt: `Current ${label.toLowerCase()}`, src: doc.images[path] ? imageUrl(path) : undefined, hidden: !doc.images[path] });
      const size = h('p', { class: 'hint' }, sizeText(path));
      imageViews[path] = { img, size };
      input.addEventListener('change', async () => {
        const file = input.files[0];
        if (!file) return;
        pending[path] = base64Of(await file.arrayBuffer());
        img.src = `data:image/png;base64,${pending[path]}`;
        img.hidden = false;
        size.textContent = `${file.name}: ${formatNumber(file.size)} bytes, being saved…`;
        schedule();
      });
      const f = withSlot(field(label, input), `images["${path}"]`, size);
      f.classList.add('image');
      f.prepend(img);
      return f;
    }));

  // The field labels, each rewriting its "label" in the pass.json template.
  const passJson = h('textarea', { class: 'mono passjson', rows: 18, spellcheck: 'false', autocomplete: 'off', wrap: 'off' });
  passJson.value = doc.passJson;
  const labelInputs = [];
  const labelRows = zones.flatMap((zone) => ((doc.fields || {})[zone] || []).map((f) => {
    const spots = editable(passJson.value, f.key);
    const input = h('input', { type: 'text', autocomplete: 'off', readonly: !spots, value: spots ? spots[0].label : (f.label || '') });
    input.addEventListener('input', () => {
      let text = passJson.value;
      for (const s of [...(editable(text, f.key) || [])].reverse()) text = text.slice(0, s.start) + JSON.stringify(input.value) + text.slice(s.end);
      passJson.value = text;
      schedule();
    });
    labelInputs.push([f.key, input]);
    return field(`${zone} field “${f.key}” label`, input,
      !spots ? 'Not found once in the template: edit it in the pass.json template below'
        : spots.length > 1 ? `In ${spots.length} places of the template (alternatives): all change` : null);
  }));
  passJson.addEventListener('input', () => {
    for (const [key, input] of labelInputs) {
      const spots = editable(passJson.value, key);
      input.readOnly = !spots;
      if (spots && input !== document.activeElement) input.value = spots[0].label;
    }
    schedule();
  });

  const generalError = h('div');
  const statusLine = h('p', { class: 'status', role: 'status' });
  const publishedLine = h('p', { class: 'status' });
  const publishHint = h('p', { class: 'hint', id: 'publish-hint' });
  const publishAnswer = h('div');
  const publishButton = h('button', { type: 'button', class: 'primary', 'aria-describedby': 'publish-hint', onclick: publish }, 'Publish');
  const memberInput = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', value: start.member });
  memberInput.addEventListener('input', schedule);
  const memberError = h('div');
  const previewNote = h('div');
  const previewSlot = h('div', {}, loading('Drawing the preview…'));
  let unsaved = false;
  let publishing = false;

  function showStatus(saving) {
    statusLine.textContent = saving ? 'Saving the draft…'
      : unsaved ? 'Draft not saved: fix the problem shown in the form'
        : doc.saved ? `Draft saved. ${doc.differsFromPublished ? 'Draft differs from the published version.' : 'The draft is the published version.'}`
          : 'No draft saved yet: the form shows the template served now; a change is saved as the draft.';
    publishedLine.textContent = doc.published ? `Published version ${doc.published.version}` : 'Nothing published yet: the configured template is served';
    const why = publishing ? 'Publishing…'
      : saving || unsaved ? 'Publish waits until the draft is saved.'
        : !doc.saved ? 'Nothing to publish: no draft is saved yet.'
          : !doc.differsFromPublished ? 'Nothing to publish: the draft equals the published version.' : '';
    publishButton.disabled = !!why;
    publishHint.textContent = why || 'Publishes the saved draft as a new version.';
  }

  function buildDraft() {
    const imgs = {};
    for (const [p, i] of Object.entries(doc.images)) imgs[p] = { sha256: i.sha256 };
    const texts = {};
    for (const k of textKeys) texts[k] = textInputs[k].value;
    const colors = {};
    for (const [k] of colours) colors[k] = toRgb(colourInputs[k].value);
    return { colors, texts, passJson: passJson.value, images: { ...imgs, ...pending }, strings: doc.strings || {} };
  }
  let lastSent = JSON.stringify(buildDraft());

  async function save() {
    const draft = buildDraft();
    if (JSON.stringify(draft) === lastSent && !unsaved) return true;
    showStatus(true);
    const sent = { ...pending };
    let error = null;
    try { doc = await api('PUT', base, { body: draft }); } catch (e) { error = e; }
    if (!ctx.isCurrent()) return false;
    for (const s of [generalError, previewNote, ...Object.values(slots)]) clear(s);
    unsaved = !!error;
    showStatus(false);
    if (error) {
      // The message names what is wrong (colors.background: …, images["logo.png"]: …, …/pass.json:52: …).
      const named = (/^(colors\.\w+|texts\.\w+|images\["[^"]+"\])/.exec(error.message) || [])[1]
        || (/pass\.json|passJson/.test(error.message) ? 'passJson' : '');
      (slots[named] || generalError).append(errorBox(error, 'Not saved'));
      if (slots[named]) generalError.append(h('p', { class: 'error' }, 'The draft was not saved: see the message in the form.'));
      previewNote.append(h('p', { class: 'warning' }, 'The preview shows the last saved draft.'));
      return false;
    }
    for (const [p, b64] of Object.entries(sent)) {
      draft.images[p] = { sha256: doc.images[p] && doc.images[p].sha256 };
      if (pending[p] !== b64) continue;
      delete pending[p];
      imageViews[p].img.src = imageUrl(p);
      imageViews[p].size.textContent = sizeText(p);
    }
    lastSent = JSON.stringify(draft);
    return true;
  }

  async function preview() {
    const id = memberInput.value.trim();
    clear(memberError);
    if (!id) { clear(previewSlot).append(h('p', { class: 'empty' }, 'Enter a membership id to preview that member’s pass.')); return; }
    try {
      const answer = await api('POST', `${base}/preview`, { body: { membershipId: id } });
      if (!ctx.isCurrent() || id !== memberInput.value.trim()) return;
      clear(previewSlot).append(passCard(answer, { imageUrl }));
      markReady('designer:preview');
    } catch (error) {
      if (ctx.isCurrent()) memberError.append(errorBox(error, 'No preview'));
    }
  }

  // One update at a time, in order: a change made while one runs starts another after it.
  let timer = 0;
  let running = false;
  let again = false;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = 0; run(); }, 400);
  }
  async function run() {
    if (running) { again = true; return; }
    running = true;
    try {
      do {
        again = false;
        if (ctx.isCurrent() && await save()) await preview();
      } while (again && ctx.isCurrent());
    } finally { running = false; }
  }
  async function flush() {  // saves a change still waiting for its debounce
    if (timer) { clearTimeout(timer); timer = 0; run(); }
    while (running) await new Promise((resolve) => { setTimeout(resolve, 50); });
  }

  const answerText = (r) => `Published version ${r.version}: ${r.done
    ? `${count(r.passesRevised, 'pass', 'passes')} revised, ${count(r.devicesToPush, 'device', 'devices')} to push`
    : `still revising: ${formatNumber(r.passesRevised)} so far`}`;

  async function follow(version) {  // a revision still running, until GET says it is done
    for (;;) {
      await new Promise((resolve) => { setTimeout(resolve, 1000); });
      if (!ctx.isCurrent()) return;
      let r;
      try { r = (await api('GET', base)).revision; } catch (error) {
        publishAnswer.append(errorBox(error, 'The revision’s progress could not be read'));
        return;
      }
      if (!r || r.version !== version) continue;
      clear(publishAnswer).append(notice(answerText(r)));
      if (r.done) return;
    }
  }

  async function publish() {
    await flush();
    if (publishButton.disabled) return;
    clear(publishAnswer);
    let held = '';
    try {
      const { passes } = await api('GET', '/dashboard');
      held = ` This server holds ${count(passes.total, 'pass', 'passes')} (${formatNumber(passes.installed)} on a device).`;
    } catch { /* the dialog still says what happens */ }
    const ok = await confirmDialog({
      title: `Publish the draft of ${type}?`,
      message: `Every pass of ${type} will be revised and its devices pushed.${held}`,
      confirmLabel: 'Publish',
    });
    if (!ok) return;
    publishing = true;
    showStatus(false);
    try {
      const r = await api('POST', `${base}/publish`);
      try {
        const now = await api('GET', base);
        doc = { ...doc, published: now.published, differsFromPublished: now.differsFromPublished };
      } catch { doc = { ...doc, published: { version: r.version }, differsFromPublished: false }; }
      publishing = false;
      showStatus(false);
      publishAnswer.append(notice(answerText(r)));
      markReady('designer:published');
      if (!r.done) await follow(r.version);
    } catch (error) {
      publishing = false;
      showStatus(false);
      publishAnswer.append(errorBox(error, 'Not published'));
    }
  }

  const form = h('form', { class: 'designer-form', 'aria-label': 'Template draft' }, generalError, colourSet, textSet, imageSet,
    group('Field labels', labelRows.length ? labelRows : h('p', { class: 'empty' }, 'The sample pass has no fields.')),
    group('Template', withSlot(field('pass.json template', passJson,
      'A Mustache template of pass.json: field labels and back-of-pass fields are edited here (placeholders: docs/TEMPLATES.md).'), 'passJson')));
  form.addEventListener('submit', (event) => { event.preventDefault(); schedule(); });
  clear(body).append(
    h('section', { class: 'panel designer-status', 'aria-label': 'Draft and publishing' },
      h('p', { class: 'mono type' }, type), statusLine, publishedLine,
      doc.sampleError ? h('p', { class: 'warning' }, `The template served now cannot render: ${doc.sampleError}`) : null,
      h('div', { class: 'actions' }, publishButton), publishHint, publishAnswer),
    h('div', { class: 'designer' }, form,
      h('section', { class: 'designer-preview', 'aria-label': 'Preview' }, h('h2', {}, 'Preview'),
        field('Preview member', memberInput, 'A membership id: its pass drawn from the draft'),
        memberError, previewNote, previewSlot)));
  showStatus(false);
  if (doc.revision && !doc.revision.done) {
    publishAnswer.append(notice(answerText(doc.revision)));
    follow(doc.revision.version);
  }
  running = true;
  await preview();
  running = false;
  if (again) run();
  if (ctx.isCurrent()) markReady('designer');
}
