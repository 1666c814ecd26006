// A pass drawn like a Wallet card from a pass preview (docs/ADMIN.md "Pass preview"): the
// colours, the logo, the fields by zone, the barcode and the back fields. Generic: the member
// page draws a member's passes with it, the pass designer its template previews.
import { h, getTimeZone, useStyle } from './ui.js';

const styles = { PKDateStyleShort: 'short', PKDateStyleMedium: 'medium', PKDateStyleLong: 'long', PKDateStyleFull: 'full' };
const formats = new Map();

// A date field's value as Wallet would show it: its dateStyle/timeStyle, in the organisation's
// time zone, or as written (ignoresTimeZone). A value that is not a date is shown as it is.
export function formatFieldValue(field) {
  const value = field.value == null ? '' : String(field.value);
  const dateStyle = styles[field.dateStyle];
  const timeStyle = styles[field.timeStyle];
  if (!field.dateStyle && !field.timeStyle) return value;
  if (!dateStyle && !timeStyle) return value;
  let iso = value;
  let zone = getTimeZone();
  if (field.ignoresTimeZone) {
    const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?/.exec(value);
    if (!m) return value;
    iso = `${m[1]}T${m[2] || '00:00:00'}Z`;
    zone = 'UTC';
  }
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return value;
  const key = `${zone}|${dateStyle}|${timeStyle}`;
  if (!formats.has(key)) {
    const options = { timeZone: zone };
    if (dateStyle) options.dateStyle = dateStyle;
    if (timeStyle) options.timeStyle = timeStyle;
    formats.set(key, new Intl.DateTimeFormat(undefined, options));
  }
  return formats.get(key).format(d);
}

function fieldEl(field, zone) {
  const align = { PKTextAlignmentRight: 'right', PKTextAlignmentCenter: 'center', PKTextAlignmentLeft: 'left' }[field.textAlignment];
  return h('div', { class: `pc-field pc-${zone}-field`, dataset: { key: field.key || '' }, style: align ? { 'text-align': align } : undefined },
    h('div', { class: 'pc-label' }, field.label || ''),
    h('div', { class: 'pc-value' }, formatFieldValue(field)));
}

function zone(fields, name) {
  const list = (fields && fields[name]) || [];
  if (!list.length) return null;
  return h('div', { class: `pc-zone pc-${name}` }, list.map((f) => fieldEl(f, name)));
}

// The barcode as the server drew it (an SVG document from libzint), else its message in a box.
function barcodeEl(barcode) {
  const label = `Barcode: ${barcode.message || ''}`;
  let picture = null;
  if (typeof barcode.svg === 'string' && barcode.svg) {
    const doc = new DOMParser().parseFromString(barcode.svg, 'image/svg+xml');
    const root = doc.documentElement;
    if (root && root.localName === 'svg' && !doc.getElementsByTagName('parsererror').length) {
      for (const bad of [...root.querySelectorAll('script, foreignObject')]) bad.remove();
      for (const el of [root, ...root.querySelectorAll('*')]) {
        for (const attr of [...el.attributes]) if (/^on/i.test(attr.name)) el.removeAttribute(attr.name);
      }
      const w = parseFloat(root.getAttribute('width'));
      const ht = parseFloat(root.getAttribute('height'));
      if (!root.hasAttribute('viewBox') && w > 0 && ht > 0) root.setAttribute('viewBox', `0 0 ${w} ${ht}`);
      picture = document.importNode(root, true);
      picture.removeAttribute('width');
      picture.removeAttribute('height');
      picture.setAttribute('role', 'img');
      picture.setAttribute('aria-label', label);
      picture.setAttribute('focusable', 'false');
      picture.classList.add('pc-barcode-svg');
    }
  }
  if (!picture) picture = h('div', { class: 'pc-barcode-text mono', role: 'img', 'aria-label': label }, barcode.message || '');
  return h('div', { class: 'pc-barcode' }, picture,
    barcode.altText ? h('div', { class: 'pc-alt' }, barcode.altText) : null);
}

function logoEl(preview, imageUrl) {
  if (!imageUrl) return null;
  let candidates = ['logo@2x.png', 'logo.png'];
  if (Array.isArray(preview.images)) candidates = candidates.filter((p) => preview.images.includes(p));
  const urls = candidates.map((p) => imageUrl(p)).filter(Boolean);
  if (!urls.length) return null;
  const img = h('img', { class: 'pc-logo', alt: preview.logoText ? '' : (preview.organizationName || 'Logo'), src: urls.shift() });
  img.addEventListener('error', () => { if (urls.length) img.src = urls.shift(); else img.remove(); });
  return img;
}

// passCard(preview, {imageUrl}) → <div class="pass-card" data-serial>: the front in the pass's
// colours and, below it, the back fields in a <details>.
export function passCard(preview, { imageUrl } = {}) {
  useStyle('member');
  const p = preview || {};
  const fields = p.fields || {};
  const colours = {};
  if (p.backgroundColor) colours['--pc-bg'] = p.backgroundColor;
  if (p.foregroundColor) colours['--pc-fg'] = p.foregroundColor;
  if (p.labelColor) colours['--pc-label'] = p.labelColor;
  const front = h('div', { class: 'pc-front', style: colours },
    p.voided ? h('div', { class: 'pc-voided', role: 'note' }, 'Voided') : null,
    h('div', { class: 'pc-top' },
      logoEl(p, imageUrl),
      h('div', { class: 'pc-logo-text' }, p.logoText || ''),
      zone(fields, 'header')),
    zone(fields, 'primary'),
    zone(fields, 'secondary'),
    zone(fields, 'auxiliary'),
    p.barcode ? barcodeEl(p.barcode) : null);
  const back = fields.back || [];
  const details = h('details', { class: 'pc-back' },
    h('summary', {}, 'Back of pass'),
    back.length
      ? h('dl', {}, back.map((f) => [h('dt', {}, f.label || f.key || ''), h('dd', {}, formatFieldValue(f))]))
      : h('p', { class: 'empty' }, 'No back fields.'));
  return h('div', {
    class: `pass-card${p.voided ? ' voided' : ''}`,
    dataset: { serial: p.serial || '' },
    role: 'group',
    'aria-label': `Pass ${p.serial || ''}${p.voided ? ' (voided)' : ''}`.trim(),
  }, front, details);
}
