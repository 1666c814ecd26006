// One member (docs/ADMIN.md "Member detail and timeline"): the record, the passes drawn as
// cards with what staff may do to them, and the timeline newest first.
import { api } from '../api.js';
import { h, clear, errorBox, notice, loading, pageTitle, statusBadge, markReady, useStyle, confirmDialog, actionButton, field, timeElement, formatNumber } from '../ui.js';
import { passCard } from '../pass-card.js';
import { formatDay, memberBadge, emailBadge } from './members.js';

const enc = encodeURIComponent;
const devicesText = (n) => `${n} device${n === 1 ? '' : 's'}`;
const devicesWill = (n) => `${devicesText(n)} will be updated`;

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && !v.length))
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function addressText(a) {
  if (!a) return null;
  const cityLine = [a.city, [a.state, a.zip].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  const lines = [a.line1, a.line2, cityLine].filter(Boolean);
  return lines.length ? lines.flatMap((l, i) => (i ? [h('br'), l] : [l])) : null;
}

function timelineItem(e) {
  return h('li', {},
    h('div', { class: 'meta' }, timeElement(e.recordedAt), h('span', { class: 'type' }, e.type), h('span', {}, e.actor)),
    h('p', { class: 'summary' }, e.summary || ''));
}

export async function render(main, ctx) {
  useStyle('member');
  const id = ctx.params.id;
  const title = pageTitle(id);
  const noticeSlot = h('div', { id: 'page-notice', tabindex: -1 });
  const body = h('div', {});
  main.append(h('div', { class: 'member-page' }, h('p', {}, h('a', { href: '#/members' }, '← Members')), title, noticeSlot, body));
  const staff = ctx.can('staff');

  const say = (text) => { clear(noticeSlot).append(notice(text)); noticeSlot.focus(); };

  // Runs one confirmed action on a pass; its error is shown by the pass, success above the page.
  // The button stays enabled while its dialog is open, so focus comes back to it on Cancel.
  async function act(button, slot, confirm, request, done, focusOnOpen) {
    clear(slot);
    const answer = confirmDialog(confirm);
    if (focusOnOpen) focusOnOpen.focus();
    if (!await answer) { button.focus(); return; }
    const label = button.textContent;
    button.disabled = true;
    button.textContent = 'Working…';
    try {
      const result = await request();
      say(done(result || {}));
      await load();
    } catch (error) {
      clear(slot).append(errorBox(error, `${confirm.confirmLabel} failed`));
      button.disabled = false;
      button.textContent = label;
      button.focus();
    }
  }
  const button = (label, cls, run) => {
    const el = h('button', { type: 'button', class: cls || undefined }, label);
    el.addEventListener('click', () => { if (!el.disabled) run(el); });
    return el;
  };

  function actions(member, pass, passes, slot) {
    const serial = pass.serial;
    const devices = pass.devices || 0;
    const buttons = [];
    const email = member.personal && member.personal.email;
    if (!pass.voided && !member.forgotten) {
      const resend = pass.email && pass.email.status && pass.email.status !== 'none';
      const active = passes.filter((p) => !p.voided);
      const targets = resend ? active : active.filter((p) => !p.email || p.email.status === 'none');
      const others = targets.filter((p) => p.serial !== serial).map((p) => p.serial);
      const message = `The pass ${serial}${others.length ? ` and the member's other pass${others.length > 1 ? 'es' : ''} ${resend ? '' : 'not e-mailed yet '}(${others.join(', ')})` : ''} will be ${resend ? 'e-mailed again' : 'e-mailed'} to ${email || 'the member'}. It is on ${devicesText(devices)} now; no device is updated.`;
      buttons.push(button(resend ? 'Re-send' : 'E-mail', '', (b) => act(b, slot,
        { title: resend ? 'Re-send the pass by e-mail' : 'E-mail the pass', message, confirmLabel: resend ? 'Re-send e-mail' : 'Send e-mail' },
        () => api('POST', `/members/${enc(member.membershipId)}/email`, { body: { resend: !!resend } }),
        (r) => `E-mail queued${r.serials && r.serials.length ? ` for ${r.serials.join(', ')}` : ''}`)));
    }
    if (!pass.voided) {
      const reason = h('input', { type: 'text', maxlength: 200, autocomplete: 'off', 'aria-required': 'true' });
      buttons.push(button('Void', 'danger', (b) => act(b, slot, {
        title: 'Void the pass',
        message: `The pass ${serial} will be voided and ${devicesWill(devices)}.`,
        confirmLabel: 'Void pass', danger: true,
        extra: [field('Reason', reason, 'Required; one line, at most 200 characters. Kept in the log.')],
        validate: () => {
          const text = reason.value.trim();
          if (!text) return 'Give a reason for voiding the pass.';
          if ([...text].length > 200) return 'The reason is longer than 200 characters.';
          if (/[\r\n]/.test(text)) return 'The reason must be one line.';
          return '';
        },
      }, () => api('POST', `/passes/${enc(serial)}/void`, { body: { reason: reason.value.trim() } }),
      (r) => `Pass voided — ${devicesWill(r.devicesToUpdate ?? devices)}`, reason)));
    } else if (!member.forgotten) {
      buttons.push(button('Unvoid', '', (b) => act(b, slot, {
        title: 'Unvoid the pass',
        message: `The pass ${serial} will be valid again and ${devicesWill(devices)}.`,
        confirmLabel: 'Unvoid pass',
      }, () => api('POST', `/passes/${enc(serial)}/unvoid`, { body: {} }),
      (r) => `Pass unvoided — ${devicesWill(r.devicesToUpdate ?? devices)}`)));
    }
    if (!member.forgotten) buttons.push(button('Revoke token', '', (b) => act(b, slot, {
      title: 'Revoke the pass’s token',
      message: `The pass ${serial} gets a new authentication token and ${devicesWill(devices)}: copies of the pass given out so far stop getting updates. The member then needs the pass again (e-mail it, or download the .pkpass).`,
      confirmLabel: 'Revoke token', danger: true,
    }, () => api('POST', `/passes/${enc(serial)}/revoke-token`, { body: {} }),
    (r) => `Token revoked — ${devicesWill(r.devicesToUpdate ?? devices)}`)));
    return buttons.length ? h('div', { class: 'actions' }, buttons) : null;
  }

  async function passBlock(member, pass, passes) {
    const serial = pass.serial;
    const cardSlot = h('div', {}, loading('Loading the pass…'));
    const errorSlot = h('div', {});
    const e = pass.email || {};
    const block = h('article', { class: 'pass-block', 'aria-label': `Pass ${serial}` },
      h('h3', {}, 'Pass ', h('span', { class: 'mono' }, serial)),
      cardSlot,
      facts([
        ['Cardholder', pass.cardholder],
        ['E-mail', [emailBadge(e.status), e.attempt ? ` attempt ${e.attempt}` : null, e.error ? h('div', { class: 'hint' }, e.error) : null]],
        ['Devices', formatNumber(pass.devices || 0)],
        ['Voided', pass.voided ? [statusBadge('Voided', 'bad'), pass.voidReason ? ` ${pass.voidReason}` : null] : 'No'],
      ]),
      h('p', {}, h('a', { href: `/admin/api/passes/${enc(serial)}/pkpass`, download: `${serial}.pkpass` }, 'Download .pkpass')),
      errorSlot,
      staff ? actions(member, pass, passes, errorSlot) : null);
    try {
      const preview = await api('GET', `/passes/${enc(serial)}`);
      clear(cardSlot).append(passCard(preview, { imageUrl: (p) => `/admin/api/passes/${enc(serial)}/image?path=${enc(p)}` }));
    } catch (error) {
      clear(cardSlot).append(errorBox(error, 'The pass preview failed'));
    }
    return block;
  }

  function timelineSection(timeline) {
    const list = h('ol', { class: 'timeline' }, (timeline.entries || []).map(timelineItem));
    const more = h('div', { class: 'pager' });
    const slot = h('div', {});
    const offer = (cursor) => {
      clear(more);
      if (cursor) {
        more.append(actionButton('Older events', async () => {
          clear(slot);
          try {
            const page = await api('GET', `/members/${enc(id)}/timeline`, { query: { cursor } });
            const items = (page.entries || []).map(timelineItem);
            list.append(...items);
            offer(page.nextCursor);
            if (items[0]) { items[0].tabIndex = -1; items[0].focus(); }
          } catch (error) {
            slot.append(errorBox(error, 'Older events failed'));
          }
        }, { busyLabel: 'Loading…' }));
      }
    };
    offer(timeline.nextCursor);
    return h('section', { class: 'panel', 'aria-labelledby': 'timeline-title' },
      h('h2', { id: 'timeline-title' }, 'Timeline'),
      list.childElementCount ? list : h('p', { class: 'empty' }, 'No events.'), slot, more);
  }

  async function load() {
    clear(body).append(loading());
    let detail;
    try {
      detail = await api('GET', `/members/${enc(id)}`);
    } catch (error) {
      clear(body).append(errorBox(error, `Member ${id}`));
      if (ctx.isCurrent()) markReady('member');
      return;
    }
    const m = detail.member || {};
    const personal = m.personal || {};
    const passes = detail.passes || [];
    const name = personal.name || [personal.firstName, personal.lastName].filter(Boolean).join(' ');
    clear(title).append(h('h1', {}, name || (m.forgotten ? 'Forgotten member' : m.membershipId || id)));
    document.title = `${name || id} — PassLedger`;
    const record = h('section', { class: 'panel', 'aria-label': 'Member' },
      m.forgotten ? h('p', { class: 'warning' }, 'This member was forgotten: their personal data is erased.') : null,
      facts([
        ['Name', name],
        ['Membership id', h('span', { class: 'mono' }, m.membershipId || id)],
        ['Level', m.level],
        ['Status', memberBadge(m)],
        ['Expires', m.expires ? formatDay(m.expires) : null],
        ['E-mail', personal.email ? [personal.email, ' ', emailBadge(m.emailStatus)] : (m.forgotten ? null : 'No address')],
        ['Address', addressText(personal.address)],
        ['Cardholders', (personal.cardholders || []).length ? h('ul', {}, personal.cardholders.map((c) => h('li', {}, c))) : null],
        ['Add-ons', (m.addOns || []).length ? h('ul', {}, m.addOns.map((a) => h('li', {}, a.quantity > 1 ? `${a.name} × ${a.quantity}` : a.name))) : 'None'],
        ['Left the roster', m.leftRoster ? `Yes${m.leftPolicy ? ` (${m.leftPolicy})` : ''}` : null],
        ['Passes', `${passes.length} (${formatNumber(m.passesInstalled ?? 0)} installed, ${formatNumber(m.passesEmailed ?? 0)} e-mailed)`],
      ]));
    const blocks = await Promise.all(passes.map((p) => passBlock(m, p, passes)));
    const passSection = h('section', { 'aria-labelledby': 'passes-title' },
      h('h2', { id: 'passes-title' }, 'Passes'),
      blocks.length ? h('div', { class: 'member-passes' }, blocks) : h('p', { class: 'empty' }, 'No passes.'));
    clear(body).append(record, passSection, timelineSection(detail.timeline || {}));
    if (ctx.isCurrent()) markReady('member');
  }

  await load();
}
