// Devices: the registered devices (no push tokens, only whether one is held) and the device-log
// store's records, filtered by device and client. Both lists page by the API's cursors; the log
// search examines a bounded number of records per call, so a page may be empty and still go on.
import { api } from '../api.js';
import {
  h, field, table, section, timeElement, formatNumber, pager, pageTitle, notice,
  useStyle, markReady,
} from '../ui.js';

const pageSize = 50;

function deviceRows(devices) {
  return devices.map((d) => [
    h('span', { class: 'mono' }, d.deviceId),
    formatNumber(d.passes),
    d.hasPushToken ? 'yes' : 'no',
    timeElement(d.registeredAt),
    timeElement(d.lastSeenAt),
  ]);
}

const columns = ['Device', 'Passes', 'Push token', 'Registered', 'Last seen'];

// On a narrow screen each row is a card whose cells name their column (devices.css).
function deviceTable(devices, cursor) {
  // The caption avoids the word "device" so that the label "Device" names one control only.
  const el = table('Registered phones', columns, deviceRows(devices),
    { hideCaption: true, empty: cursor ? 'No more devices.' : 'No device has registered a pass yet.' });
  el.classList.add('device-table');
  for (const row of el.querySelectorAll('tbody tr')) {
    [...row.cells].forEach((cell, i) => { cell.dataset.label = columns[i]; });
  }
  return el;
}

function logRecord(r) {
  return h('li', { class: 'log-record' },
    h('div', { class: 'log-head' },
      timeElement(r.receivedAt),
      h('span', {}, 'Client ', h('span', { class: 'mono' }, r.client || '—')),
      h('span', {}, 'Device ', h('span', { class: 'mono' }, r.device || '—'))),
    h('pre', { class: 'log-lines' }, (r.lines || []).join('\n')));
}

export async function render(main, ctx) {
  useStyle('devices');
  const deviceSlot = h('div', { tabindex: -1 });
  const logSlot = h('div', { tabindex: -1 });
  const deviceField = h('input', { type: 'text', name: 'device', autocomplete: 'off', spellcheck: 'false' });
  const clientField = h('input', { type: 'text', name: 'client', autocomplete: 'off', spellcheck: 'false' });
  const sinceField = h('input', { type: 'date', name: 'since' });
  const form = h('form', { class: 'filters' },
    field('Device', deviceField),
    field('Client', clientField),
    field('Since', sinceField),
    h('button', { type: 'submit', class: 'primary' }, 'Show logs'));

  main.append(
    pageTitle('Devices'),
    h('section', {},
      h('h2', { id: 'devices-h' }, 'Registered devices'),
      deviceSlot),
    h('section', {},
      h('h2', { id: 'device-logs-h' }, 'Device logs'),
      h('p', { class: 'hint' }, 'What the phones sent to the log endpoint, oldest first. Device and client match exactly.'),
      form,
      logSlot));

  async function showDevices(cursor, refocus = !!cursor) {
    await section(deviceSlot,
      () => api('GET', '/devices', { query: { cursor, limit: pageSize } }),
      (page) => [
        deviceTable(page.devices, cursor),
        pager((next) => showDevices(next), page.nextCursor),
        cursor ? h('p', {}, h('button', { type: 'button', onclick: () => showDevices('', true) }, 'First page')) : null,
      ]);
    if (refocus && deviceSlot.isConnected) deviceSlot.focus();  // the pressed button is gone
    if (ctx.isCurrent()) markReady('devices:list');
  }

  async function showLogs(cursor) {
    const filters = {
      device: deviceField.value.trim(),
      client: clientField.value.trim(),
      since: sinceField.value,
    };
    const page = await section(logSlot,
      () => api('GET', '/device-logs', { query: { ...filters, cursor, limit: pageSize } }),
      (data) => [
        data.records.length
          ? h('ol', { class: 'log-list', 'aria-label': 'Log records' }, data.records.map(logRecord))
          : h('p', { class: 'empty' }, data.nextCursor
            ? 'No matching records in this stretch of the store.' : 'No matching records.'),
        data.capped && data.nextCursor
          ? notice(`The server looked at ${formatNumber(data.scanned)} records for this page and stopped there; press "Next page" to search further.`)
          : null,
        pager((next) => showLogs(next), data.nextCursor),
      ]);
    if (cursor && logSlot.isConnected) logSlot.focus();
    if (ctx.isCurrent()) markReady('devices:logs');
    return page;
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    showLogs('');
  });

  await Promise.all([showDevices(''), showLogs('')]);
  if (ctx.isCurrent()) markReady('devices');
}
