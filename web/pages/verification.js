// Verification: the log's head, the last signed digest (what `passledger digest` recorded) and
// the last verification run. Staff and admins may start a run; the page then asks every second
// until the run is no longer running and shows how it ended.
import { api } from '../api.js';
import {
  h, clear, errorBox, loading, timeElement, formatNumber, pageTitle, statusBadge, actionButton,
  useStyle, markReady, announce,
} from '../ui.js';

const stateKinds = { running: 'warn', verified: 'ok', failed: 'bad' };

function facts(rows) {
  return h('dl', { class: 'facts' },
    rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function digestPanel(status) {
  const d = status.lastDigest;
  return h('section', { class: 'panel', 'aria-labelledby': 'v-digest' },
    h('h2', { id: 'v-digest' }, 'Last signed digest'),
    d ? facts([
      ['Position', formatNumber(d.position)],
      ['Head hash', h('span', { class: 'mono' }, d.headHash)],
      ['Signed at', timeElement(d.signedAt)],
      ['Events since', formatNumber(d.eventsSince)],
    ]) : h('p', {}, 'The log has never been verified: no digest has been signed yet.'));
}

function runPanel(run) {
  const body = run ? facts([
    ['State', statusBadge(run.state, stateKinds[run.state])],
    ['Started by', h('span', { class: 'mono' }, run.actor)],
    ['Started', timeElement(run.startedAt)],
    ['Finished', run.finishedAt ? timeElement(run.finishedAt) : (run.state === 'running' ? 'still running' : '—')],
    run.state !== 'running' ? ['Verified from', formatNumber(run.verifiedFrom)] : null,
    run.state !== 'running' ? ['Events checked', formatNumber(run.checked)] : null,
    run.position !== undefined ? ['Signed position', formatNumber(run.position)] : null,
    run.headHash ? ['Head hash', h('span', { class: 'mono' }, run.headHash)] : null,
    run.error ? ['Error', h('span', { class: 'run-error' }, run.error)] : null,
  ]) : h('p', {}, 'No verification has been run on this server yet.');
  return h('section', { class: 'panel', 'aria-labelledby': 'v-run' },
    h('h2', { id: 'v-run' }, 'Last run'), body);
}

export async function render(main, ctx) {
  useStyle('verification');
  const statusSlot = h('div', {}, loading());
  const actionSlot = h('div');
  main.append(pageTitle('Verification'),
    h('p', { class: 'hint' }, 'A run walks the hash chain from the last verified digest to the head and signs a new digest.'),
    statusSlot, actionSlot);

  let last = null;
  function draw(status) {
    last = status;
    clear(statusSlot).append(
      h('div', { class: 'grid v-head' },
        h('div', { class: 'stat' },
          h('div', { class: 'label' }, 'Head position'),
          h('div', { class: 'value' }, formatNumber(status.head)),
          h('div', { class: 'detail' }, 'events in the log'))),
      digestPanel(status),
      runPanel(status.lastRun));
  }
  async function load() {
    try {
      draw(await api('GET', '/verification'));
      return true;
    } catch (error) {
      clear(statusSlot).append(errorBox(error, 'The verification status could not be read'));
      return false;
    }
  }
  const running = () => !!(last && last.lastRun && last.lastRun.state === 'running');
  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
  let following = null;  // one poll loop at a time
  function follow() {
    following ||= (async () => {
      while (running() && ctx.isCurrent()) {
        await sleep(1000);
        if (!ctx.isCurrent() || !(await load())) return;
      }
      if (ctx.isCurrent()) markReady('verification:run');
    })().finally(() => { following = null; });
    return following;
  }

  if (ctx.can('staff')) {
    const errorSlot = h('div');
    actionSlot.append(h('div', { class: 'actions' },
      actionButton('Run verification now', async () => {
        clear(errorSlot);
        try {
          const run = await api('POST', '/verification');
          if (last) draw({ ...last, lastRun: run }); else await load();
          if (running()) await follow();
          else if (await load() && ctx.isCurrent()) markReady('verification:run');
          const done = last && last.lastRun;
          if (done && done.state !== 'running') announce(`Verification ${done.state}`);
        } catch (error) {
          errorSlot.append(errorBox(error, 'The verification could not be started'));
        }
      }, { busyLabel: 'Verifying…', cls: 'primary' })), errorSlot);
  }

  await load();
  if (ctx.isCurrent()) markReady('verification');
  if (running()) follow();
}
