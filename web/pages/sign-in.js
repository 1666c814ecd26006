// The sign-in page: username and password → POST /admin/api/session; the answer becomes the
// app's session and the page goes on to ?next= (or the dashboard). A refusal is shown in the
// form, the password cleared and the first field focused again.
import { api } from '../api.js';
import { h, clear, field, errorBox, pageTitle, markReady } from '../ui.js';

// Where to go after signing in: an in-app path from ?next=, never the sign-in page itself.
function nextPath(query) {
  const next = query.get('next') || '';
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in') ? next : '/dashboard';
}

// 429: the server says "too many failed sign-ins: try again in N minute(s)" and api.js may add
// "— try again in N minutes" from Retry-After; say it once, and say what happened first.
function lockoutText(message) {
  let text = String(message || '').trim();
  const first = text.search(/try again in/i);
  if (first >= 0) {
    const second = text.slice(first + 1).search(/try again in/i);
    if (second >= 0) text = text.slice(0, first + 1 + second).replace(/[\s—–-]+$/, '');
  }
  if (!/^too many failed sign-ins/i.test(text)) text = `Too many failed sign-ins: ${text || 'try again later'}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export async function render(main, ctx) {
  const username = h('input', {
    type: 'text', name: 'username', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false',
  });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const errorSlot = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { method: 'post', 'aria-label': 'Sign in' },
    field('Username', username),
    field('Password', password),
    errorSlot,
    h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    clear(errorSlot);
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const answer = await api('POST', '/session', { body: { username: username.value, password: password.value } });
      password.value = '';
      ctx.signedIn(answer);
      ctx.navigate(nextPath(ctx.query));
      return;
    } catch (error) {
      if (!ctx.isCurrent()) return;
      password.value = '';
      errorSlot.append(error && error.status === 429
        ? h('div', { class: 'error', role: 'alert' }, h('strong', {}, lockoutText(error.message)))
        : errorBox(error));
      username.focus();
      markReady('sign-in:error');
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });

  clear(main).append(h('div', { class: 'panel', style: { 'max-width': '26rem', margin: '2rem auto' } },
    h('p', { style: { margin: '0', 'font-weight': '700', color: 'var(--accent)' } }, 'PassLedger'),
    pageTitle('Sign in'),
    ctx.query.get('next') ? h('p', { style: { 'margin-top': '0' } }, 'Sign in to go on to the page you asked for.') : null,
    form));
  username.focus();
  markReady('sign-in');
}
