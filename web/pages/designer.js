// The pass designer (admin): a pass type's template draft edited in a form — colours, texts,
// images, field labels and the pass.json template — beside a live preview of a member's pass.
// Each change is saved as the draft (PUT, which the server checks), then previewed (POST
// …/preview); Publish revises every pass of the type (docs/ADMIN.md "Templates").
import { api } from '../api.js';
import {
  h, clear, field, errorBox, notice, loading, pageTitle, confirmDialog, useStyle, markReady,
  formatNumber,
} from '../ui.js';
import { passCard } from '../pass-card.js';

const enc = encodeURIComponent;
const colours = [['background', 'Background colour'], ['foreground', 'Foreground colour'], ['label', 'Label colour']];
const textNames = { organizationName: 'Organisation name', description: 'Description', logoText: 'Logo text', programName: 'Programme name' };
const zones = ['header', 'primary', 'secondary', 'auxiliary', 'back'];

export function toHex(rgb) {
  const m = /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)/.exec(rgb || '');
  if (m) return `#${m.slice(1, 4).map((n) => Math.min(255, +n).toString(16).padStart(2, '0')).join('')}`;
  const x = /^#([0-9a-f]{6}|[0-9a-f]{3})$/i.exec((rgb || '').trim());
  if (!x) return '#000000';
  const d = x[1].length === 3 ? x[1].replace(/./g, '$&$&') : x[1];
  return `#${d.toLowerCase()}`;
}
export function toRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${n >> 16}, ${(n >> 8) & 255}, ${n & 255})`;
}
const readable = (key) => textNames[key] || key.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());
const plural = (n, one, many) => `${formatNumber(n)} ${n === 1 ? one : many}`;

// Where each field object's "label" string sits in the pass.json template: key → [{start, end,
// label}]. Strings, and Mustache tags outside strings, are skipped whole, so braces in them do
// not count; only objects with exactly one "key" and one plain-string "label" are listed.
export function labelSpots(src) {
  const spots = new Map();
  const stack = [];
  let name = null;
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '{' && src[i + 1] === '{') {
      const close = src[i + 2] === '{' ? '}}}' : '}}';
      const e = src.indexOf(close, i + 2);
      if (e < 0) break;
      i = e + close.length;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      const tok = { start: i, end: j + 1, raw: src.slice(i + 1, j) };
      i = j + 1;
      let k = i;
      while (/\s/.test(src[k] || '')) k += 1;
      if (src[k] === ':') { name = tok.raw; i = k + 1; continue; }
      if (name !== null && stack.length) stack[stack.length - 1].push([name, tok]);
      name = null;
      continue;
    }
    if (c === '{') stack.push([]);
    else if (c === '}') {
      const props = stack.pop() || [];
      const keys = props.filter(([n]) => n === 'key');
      const labels = props.filter(([n]) => n === 'label');
      if (keys.length === 1 && labels.length === 1 && !labels[0][1].raw.includes('{{')) {
        try {
          const key = JSON.parse(`"${keys[0][1].raw}"`);
          const { start, end, raw } = labels[0][1];
          if (!spots.has(key)) spots.set(key, []);
          spots.get(key).push({ start, end, label: JSON.parse(`"${raw}"`) });
        } catch { /* not a plain JSON string: left to the textarea */ }
      }
    }
    if ('{}[],'.includes(c)) name = null;
    i += 1;
  }
  return spots;
}

// The spots of a key, when its label can be rewritten unambiguously: every object with that key
// (alternatives in Mustache sections) carries the same label.
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

async function findStart(ctx) {
  const type = ctx.query.get('type');
  const list = await api('GET', '/members', { query: { limit: 20 } });
  const first = list.members.find((m) => m.passes > 0);
  if (!first) return type ? { type, member: '' } : null;
  if (type) return { type, member: first.membershipId };
  const detail = await api('GET', `/members/${enc(first.membershipId)}`, { query: { timeline_limit: 1 } });
  const pass = (detail.passes || [])[0];
  return pass ? { type: pass.passTypeId, member: first.membershipId } : null;
}

export async function render(main, ctx) {
  useStyle('designer');
  const head = pageTitle('Pass designer');
  const body = h('div', {}, loading());
  main.append(head, body);
  let start;
  let doc;
  try {
    start = await findStart(ctx);
    if (start) doc = await api('GET', `/templates/${enc(start.type)}`);
  } catch (error) {
    clear(body).append(errorBox(error, 'The template could not be loaded'));
    markReady('designer');
    return;
  }
  if (!ctx.isCurrent()) return;
  if (!start) {
    clear(body).append(h('div', { class: 'notice', role: 'status' },
      'No member has a pass yet, so there is no pass type to design and no one to preview it with. ',
      h('a', { href: '#/upload' }, 'Upload a roster'), ' first, then come back here.'));
    markReady('designer');
    return;
  }
  const type = start.type;
  const base = `/templates/${enc(type)}`;
  const imageUrl = (p) => `/admin/api/templates/${enc(type)}/image?path=${enc(p)}`;
  const pending = {};      // image path → base64 chosen but not yet saved
  const slots = {};        // error slots by what the server's message names
  const slot = (name) => { slots[name] = h('div', { class: 'slot' }); return slots[name]; };

  // Colours
  const colourInputs = {};
  const colourSet = h('fieldset', {}, h('legend', {}, 'Colours'), colours.map(([key, label]) => {
    const input = h('input', { type: 'color', value: toHex(doc.colors[key]) });
    const shown = h('span', { class: 'hint mono' }, toRgb(input.value));
    input.addEventListener('input', () => { shown.textContent = toRgb(input.value); schedule(); });
    colourInputs[key] = input;
    const f = field(label, input);
    f.classList.add('colour');
    f.append(shown, slot(`colors.${key}`));
    return f;
  }));

  // Texts
  const order = ['organizationName', 'description', 'logoText'];
  const textKeys = [...order, ...Object.keys(doc.texts).filter((k) => !order.includes(k))];
  const textInputs = {};
  const textSet = h('fieldset', {}, h('legend', {}, 'Texts'), textKeys.map((key) => {
    const long = key === 'contact' || key === 'hours';
    const input = long ? h('textarea', { rows: 2, class: 'short' }) : h('input', { type: 'text', autocomplete: 'off' });
    input.value = doc.texts[key] || '';
    input.addEventListener('input', schedule);
    textInputs[key] = input;
    const hint = key === 'organizationName' || key === 'description' ? 'Required; at most 200 bytes on one line'
      : long ? 'Shown on the back of the pass when set; line breaks allowed' : 'At most 200 bytes on one line';
    const f = field(readable(key), input, hint);
    f.append(slot(`texts.${key}`));
    return f;
  }));

  // Images
  const imageList = [['logo.png', 'Logo'], ...(doc.images['logo@2x.png'] ? [['logo@2x.png', 'Logo (@2x)']] : []), ['icon.png', 'Icon']];
  const imageViews = {};
  const sizeText = (p) => {
    const i = doc.images[p];
    return i ? `Now ${i.width} × ${i.height} px, ${formatNumber(i.bytes)} bytes` : 'None yet';
  };
  const imageSet = h('fieldset', {}, h('legend', {}, 'Images'),
    h('p', { class: 'hint' }, 'PNG files. Phones with sharp screens show the @2x logo when there is one: change both.'),
    imageList.map(([path, label]) => {
      const input = h('input', { type: 'file', accept: 'image/png,.png' });
      const img = h('img', { class: 'current', alt: `Current ${label.toLowerCase()}`, src: doc.images[path] ? imageUrl(path) : undefined, hidden: !doc.images[path] });
      const size = h('p', { class: 'hint' }, sizeText(path));
      imageViews[path] = { img, size };
      input.addEventListener('change', async () => {
        const file = input.files[0];
        if (!file) return;
        const b64 = base64Of(await file.arrayBuffer());
        pending[path] = b64;
        img.src = `data:image/png;base64,${b64}`;
        img.hidden = false;
        size.textContent = `${file.name}: ${formatNumber(file.size)} bytes, being saved…`;
        schedule();
      });
      const f = field(label, input);
      f.classList.add('image');
      f.prepend(h('div', { class: 'thumb' }, img));
      f.append(size, slot(`images["${path}"]`));
      return f;
    }));

  // pass.json and the field labels in it
  const passJson = h('textarea', { class: 'mono passjson', rows: 18, spellcheck: 'false', autocomplete: 'off', wrap: 'off' });
  passJson.value = doc.passJson;
  const labelInputs = [];
  const labelRows = zones.flatMap((zone) => (doc.fields && doc.fields[zone]) || []).length
    ? zones.flatMap((zone) => ((doc.fields && doc.fields[zone]) || []).map((f) => {
      const spots = editable(passJson.value, f.key);
      const input = h('input', { type: 'text', autocomplete: 'off', readonly: !spots });
      input.value = spots ? spots[0].label : (f.label || '');
      input.addEventListener('input', () => {
        const now = editable(passJson.value, f.key);
        if (!now) return;
        let text = passJson.value;
        for (const s of [...now].reverse()) text = text.slice(0, s.start) + JSON.stringify(input.value) + text.slice(s.end);
        passJson.value = text;
        schedule();
      });
      labelInputs.push([f.key, input]);
      return field(`${zone} field “${f.key}” label`, input,
        spots ? (spots.length > 1 ? `In ${spots.length} places of the template (alternatives): all are changed` : null)
          : 'Not found once in the template: edit it in the pass.json template below');
    }))
    : h('p', { class: 'empty' }, 'The sample pass has no fields.');
  passJson.addEventListener('input', () => {
    for (const [key, input] of labelInputs) {
      if (input === document.activeElement) continue;
      const spots = editable(passJson.value, key);
      input.readOnly = !spots;
      if (spots) input.value = spots[0].label;
    }
    schedule();
  });
  const labelSet = h('fieldset', {}, h('legend', {}, 'Field labels'), labelRows);
  const jsonSet = h('fieldset', {}, h('legend', {}, 'Template'),
    field('pass.json template', passJson, 'A Mustache template of pass.json: field labels and back-of-pass fields are edited here (docs/TEMPLATES.md lists the placeholders).'),
    slot('passJson'));

  // Status, publish and the preview
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
  const previewSlot = h('div', { class: 'preview-card' }, loading('Drawing the preview…'));
  let unsaved = false;
  let publishing = false;

  function showStatus(saving) {
    statusLine.textContent = saving ? 'Saving the draft…'
      : unsaved ? 'Draft not saved: fix the problem shown in the form'
        : doc.saved ? `Draft saved. ${doc.differsFromPublished ? 'Draft differs from the published version.' : 'The draft is the published version.'}`
          : 'No draft saved yet: the form shows the template served now. A change is saved as the draft.';
    publishedLine.textContent = doc.published ? `Published version ${doc.published.version}` : 'Nothing published yet: the configured template is served';
    const why = publishing ? 'Publishing…'
      : saving || unsaved ? 'Publish waits until the draft is saved.'
        : !doc.saved ? 'Nothing to publish: no draft is saved yet.'
          : !doc.differsFromPublished ? 'Nothing to publish: the draft equals the published version.' : '';
    publishButton.disabled = !!why;
    publishHint.textContent = why || `Publishes the saved draft as version ${doc.published ? doc.published.version + 1 : 1}.`;
  }

  function placeError(error) {
    const message = error.message || String(error);
    let name = (/^(colors\.\w+|texts\.\w+|images\["[^"]+"\])/.exec(message) || [])[1];
    if (!name && /pass\.json|passJson/.test(message)) name = 'passJson';
    const target = slots[name] || generalError;
    target.append(errorBox(message, 'Not saved'));
    if (target !== generalError) generalError.append(h('p', { class: 'error' }, 'The draft was not saved: see the message in the form.'));
  }

  function buildDraft() {
    const images = {};
    for (const [p, i] of Object.entries(doc.images)) images[p] = { sha256: i.sha256 };
    Object.assign(images, pending);
    const texts = {};
    for (const k of textKeys) texts[k] = textInputs[k].value;
    const colors = {};
    for (const [k] of colours) colors[k] = toRgb(colourInputs[k].value);
    return { colors, texts, passJson: passJson.value, images, strings: doc.strings || {} };
  }
  let lastSent = JSON.stringify(buildDraft());

  async function save() {
    const draft = buildDraft();
    const text = JSON.stringify(draft);
    if (text === lastSent && !unsaved) return true;
    showStatus(true);
    const sent = { ...pending };
    try {
      doc = await api('PUT', base, { body: draft });
    } catch (error) {
      if (!ctx.isCurrent()) return false;
      for (const s of [generalError, ...Object.values(slots)]) clear(s);
      unsaved = true;
      placeError(error);
      clear(previewNote).append(h('p', { class: 'warning' }, 'The preview shows the last saved draft.'));
      showStatus(false);
      return false;
    }
    for (const s of [generalError, previewNote, ...Object.values(slots)]) clear(s);
    unsaved = false;
    for (const [p, b64] of Object.entries(sent)) {
      draft.images[p] = { sha256: doc.images[p] && doc.images[p].sha256 };
      if (pending[p] !== b64) continue;
      delete pending[p];
      imageViews[p].img.src = imageUrl(p);
      imageViews[p].size.textContent = sizeText(p);
    }
    lastSent = JSON.stringify(draft);
    showStatus(false);
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
  // Saves what the form holds now (a change still waiting for its debounce included).
  async function flush() {
    if (timer) { clearTimeout(timer); timer = 0; run(); }
    while (running) await new Promise((resolve) => { setTimeout(resolve, 50); });
  }
  async function run() {
    if (running) { again = true; return; }
    running = true;
    try {
      do {
        again = false;
        if (!ctx.isCurrent()) return;
        if (await save()) await preview();
      } while (again);
    } finally { running = false; }
  }

  function answerText(r) {
    const counts = `${plural(r.passesRevised, 'pass', 'passes')} revised, ${plural(r.devicesToPush, 'device', 'devices')} to push`;
    return r.done ? `Published version ${r.version}: ${counts}`
      : `Published version ${r.version}: still revising: ${formatNumber(r.passesRevised)} so far (${plural(r.devicesToPush, 'device', 'devices')} to push)`;
  }

  async function follow(version) {
    for (;;) {
      await new Promise((resolve) => { setTimeout(resolve, 1000); });
      if (!ctx.isCurrent()) return;
      let now;
      try { now = await api('GET', base); } catch (error) {
        publishAnswer.append(errorBox(error, 'The revision’s progress could not be read'));
        return;
      }
      const r = now.revision;
      if (!r || r.version !== version) continue;
      clear(publishAnswer).append(notice(answerText(r)));
      if (r.done) return;
    }
  }

  async function publish() {
    if (publishButton.disabled) return;
    await flush();
    if (publishButton.disabled) return;
    clear(publishAnswer);
    let counts = '';
    try {
      const d = await api('GET', '/dashboard');
      counts = ` This server holds ${plural(d.passes.total, 'pass', 'passes')} (${formatNumber(d.passes.installed)} on a device).`;
    } catch { /* the dialog still says what happens */ }
    const ok = await confirmDialog({
      title: `Publish the draft of ${type}?`,
      message: `Every pass of ${type} will be revised and its devices pushed.${counts}`,
      confirmLabel: 'Publish',
    });
    if (!ok) return;
    publishing = true;
    showStatus(false);
    try {
      const r = await api('POST', `${base}/publish`);
      try {
        const now = await api('GET', base);
        doc = { ...doc, published: now.published, differsFromPublished: now.differsFromPublished, saved: now.saved };
      } catch { doc = { ...doc, published: { version: r.version }, differsFromPublished: false }; }
      publishing = false;
      showStatus(false);
      clear(publishAnswer).append(notice(answerText(r)));
      markReady('designer:published');
      if (!r.done) await follow(r.version);
    } catch (error) {
      publishing = false;
      showStatus(false);
      publishAnswer.append(errorBox(error, 'Not published'));
    }
  }

  const form = h('form', { class: 'designer-form', 'aria-label': 'Template draft' },
    generalError, colourSet, textSet, imageSet, labelSet, jsonSet);
  form.addEventListener('submit', (event) => { event.preventDefault(); schedule(); });
  clear(body).append(
    h('section', { class: 'panel designer-status', 'aria-label': 'Draft and publishing' },
      h('p', { class: 'mono type' }, type), statusLine, publishedLine,
      doc.sampleError ? h('p', { class: 'warning' }, `The template served now cannot render: ${doc.sampleError}`) : null,
      h('div', { class: 'actions' }, publishButton), publishHint, publishAnswer),
    h('div', { class: 'designer' }, form,
      h('section', { class: 'designer-preview', 'aria-label': 'Preview' },
        h('h2', {}, 'Preview'),
        field('Preview member', memberInput, 'A membership id: the preview shows that member’s pass from the draft'),
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
