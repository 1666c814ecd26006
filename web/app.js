// The staff app's shell: the session, the navigation by role and the hash router. Each page is
// a module in pages/ exporting `render(main, ctx)`; ctx = {session, params, query, navigate,
// can(role), refreshSession}. Pages load lazily, so the first paint only fetches what it shows.
import { api, setCsrfToken, onUnauthorized, ApiError } from './api.js';
import { h, clear, errorBox, setTimeZone, announce } from './ui.js';

const rank = { auditor: 1, staff: 2, admin: 3 };

// path pattern → [module, least role, nav label or null]
const routes = [
  ['/dashboard', 'dashboard', 'auditor', 'Dashboard'],
  ['/upload', 'upload', 'staff', 'Upload'],
  ['/imports', 'imports', 'auditor', 'Imports'],
  ['/imports/:id', 'import', 'auditor', null],
  ['/members', 'members', 'auditor', 'Members'],
  ['/members/:id', 'member', 'auditor', null],
  ['/devices', 'devices', 'auditor', 'Devices'],
  ['/audit', 'audit', 'auditor', 'Audit log'],
  ['/verification', 'verification', 'auditor', 'Verification'],
  ['/designer', 'designer', 'admin', 'Pass designer'],
  ['/staff', 'staff', 'admin', 'Staff'],
];

let session = null;  // {user: {username, role}, csrfToken, organization?}

function can(role) { return !!session && rank[session.user.role] >= rank[role]; }

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/dashboard';
  const [path, search = ''] = raw.split('?');
  return { path, query: new URLSearchParams(search) };
}

function match(path) {
  const parts = path.split('/').filter(Boolean);
  for (const [pattern, module, role, label] of routes) {
    const want = pattern.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    const ok = want.every((w, i) => {
      if (w.startsWith(':')) { params[w.slice(1)] = decodeURIComponent(parts[i]); return true; }
      return w === parts[i];
    });
    if (ok) return { module, role, label, params, pattern };
  }
  return null;
}

export function navigate(path) {
  if (`#${path}` === location.hash) route(); else location.hash = path;
}

function applySession(next) {
  session = next;
  setCsrfToken(next ? next.csrfToken : '');
  if (next && next.organization) setTimeZone(next.organization.timeZone);
  drawChrome();
}

function drawChrome() {
  const top = document.getElementById('top');
  const nav = clear(document.getElementById('nav'));
  const who = clear(document.getElementById('who'));
  top.hidden = !session;
  if (!session) return;
  const { path } = parseHash();
  const current = match(path);
  const list = h('ul', {}, routes.filter(([, , role, label]) => label && can(role)).map(([pattern, , , label]) => {
    const active = current && (current.pattern === pattern || current.pattern.startsWith(`${pattern}/`));
    return h('li', {}, h('a', { href: `#${pattern}`, 'aria-current': active ? 'page' : undefined }, label));
  }));
  nav.append(list);
  who.append(
    h('span', {}, session.user.username, ' ', h('span', { class: 'badge' }, session.user.role)),
    h('button', { type: 'button', onclick: signOut }, 'Sign out'));
}

async function signOut() {
  try { await api('DELETE', '/session'); } catch { /* the session may already be gone */ }
  applySession(null);
  navigate('/sign-in');
}

async function loadSession() {
  try {
    applySession(await api('GET', '/session'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) applySession(null);
    else throw error;
  }
}

const ctxBase = {
  navigate,
  can,
  get session() { return session; },
  signedIn(next) { applySession(next); },
  signOut,
};

let generation = 0;

async function route() {
  const main = document.getElementById('main');
  const { path, query } = parseHash();
  const mine = ++generation;
  const render = async (moduleName, params) => {
    const page = await import(`./pages/${moduleName}.js`);
    if (mine !== generation) return;
    clear(main);
    await page.render(main, { ...ctxBase, params, query, isCurrent: () => mine === generation });
  };
  try {
    if (!session || path === '/sign-in') {
      if (session && path === '/sign-in') { navigate('/dashboard'); return; }
      drawChrome();
      await render('sign-in', {});
      return;
    }
    const found = match(path);
    drawChrome();
    if (!found) {
      clear(main).append(h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '#/dashboard' }, 'Go to the dashboard')));
      return;
    }
    if (!can(found.role)) {
      clear(main).append(h('h1', {}, 'Not for your role'),
        h('p', {}, `This page is for ${found.role} accounts; you are signed in as ${session.user.role}.`));
      return;
    }
    await render(found.module, found.params);
    if (found.label) announce(`${found.label} page`);
  } catch (error) {
    if (mine === generation) clear(main).append(h('h1', {}, 'Something went wrong'), errorBox(error));
  }
}

// The skip link must not change the hash (that is the router's): it moves focus to <main>.
function setUpSkipLink() {
  const link = document.querySelector('.skip-link');
  if (!link) return;
  link.addEventListener('click', (event) => {
    event.preventDefault();
    document.getElementById('main').focus();
  });
}

function setUpMenu() {
  const toggle = document.getElementById('nav-toggle');
  const nav = document.getElementById('nav');
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    nav.classList.toggle('open', open);
  });
  window.addEventListener('hashchange', () => {
    toggle.setAttribute('aria-expanded', 'false');
    nav.classList.remove('open');
  });
}

onUnauthorized(() => {
  if (session) {
    applySession(null);
    navigate('/sign-in');
  }
});

async function start() {
  setUpMenu();
  setUpSkipLink();
  window.addEventListener('hashchange', route);
  try {
    await loadSession();
  } catch (error) {
    clear(document.getElementById('main')).append(h('h1', {}, 'PassLedger'), errorBox(error));
    return;
  }
  await route();
}

start();
