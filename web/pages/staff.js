// Staff accounts (admin only): the list, a form to add an account, and per enabled account a
// role change and disabling (final: the account is signed out everywhere). The signed-in admin
// is not offered to demote or disable themselves; the server also refuses to leave no admin.
import { api } from '../api.js';
import {
  h, clear, field, select, table, section, errorBox, notice, pageTitle, statusBadge,
  actionButton, confirmDialog, useStyle, markReady, announce,
} from '../ui.js';

const roles = [['auditor', 'auditor'], ['staff', 'staff'], ['admin', 'admin']];

export async function render(main, ctx) {
  useStyle('staff');
  const me = ctx.session.user.username;
  const listSlot = h('div');
  const statusSlot = h('div');

  function done(text) {
    clear(statusSlot).append(notice(text));
    announce(text);
    return showList();
  }

  function controls(account) {
    if (account.disabled) return h('span', { class: 'muted' }, 'No changes: disabling is final');
    if (account.username === me) return h('span', { class: 'muted' }, 'This is you');
    const errorSlot = h('div');
    const roleSelect = select(roles, account.role);
    const fail = (error) => clear(errorSlot).append(errorBox(error));
    return h('div', { class: 'row-controls' },
      h('div', { class: 'row-actions' },
        field(`Role for ${account.username}`, roleSelect),
        actionButton('Change role', async () => {
          clear(errorSlot);
          if (roleSelect.value === account.role) {
            fail(`${account.username} already has the role ${account.role}`);
            return;
          }
          try {
            await api('PATCH', `/staff/${encodeURIComponent(account.username)}`, { body: { role: roleSelect.value } });
            await done(`${account.username} is now ${roleSelect.value}.`);
          } catch (error) { fail(error); }
        }, { busyLabel: 'Changing…' }),
        actionButton('Disable', async () => {
          clear(errorSlot);
          const ok = await confirmDialog({
            title: `Disable ${account.username}?`,
            message: `${account.username} will be signed out everywhere and can no longer sign in.`,
            confirmLabel: 'Disable',
            danger: true,
          });
          if (!ok) return;
          try {
            await api('PATCH', `/staff/${encodeURIComponent(account.username)}`, { body: { disabled: true } });
            await done(`${account.username} is disabled.`);
          } catch (error) { fail(error); }
        }, { busyLabel: 'Disabling…', cls: 'danger' })),
      errorSlot);
  }

  async function showList() {
    const columns = ['Username', 'Role', 'Status', 'Changes'];
    await section(listSlot, () => api('GET', '/staff'), (data) => {
      const el = table('Staff accounts', columns,
        data.staff.map((a) => [
          h('span', { class: 'mono' }, a.username),
          a.role,
          a.disabled ? statusBadge('disabled', 'bad') : statusBadge('enabled', 'ok'),
          controls(a),
        ]),
        { hideCaption: true, empty: 'No staff accounts.' });
      // On a narrow screen each row is a card; its cells name their column (staff.css).
      el.classList.add('staff-table');
      for (const row of el.querySelectorAll('tbody tr')) {
        [...row.cells].forEach((cell, i) => { cell.dataset.label = columns[i]; });
      }
      return el;
    });
    if (ctx.isCurrent()) markReady('staff:list');
  }

  const username = h('input', { type: 'text', name: 'username', autocomplete: 'off', spellcheck: 'false', required: true, maxlength: 64 });
  const role = select(roles, 'staff');
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 12 });
  const formError = h('div');
  const form = h('form', { class: 'create-form', 'aria-labelledby': 'staff-add' },
    h('h2', { id: 'staff-add' }, 'Add a staff account'),
    h('div', { class: 'create-fields' },
      field('Username', username, 'a-z, 0-9, dot, underscore and dash; names are never reused'),
      field('Role', role),
      field('Password', password, 'At least 12 characters, not a common password')),
    formError,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create account')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    if (button.disabled) return;
    clear(formError);
    button.disabled = true;
    try {
      const name = username.value.trim();
      const chosen = role.value;
      await api('POST', '/staff', { body: { username: name, role: chosen, password: password.value } });
      form.reset();
      role.value = 'staff';
      const text = `The account ${name} was created with the role ${chosen}.`;
      clear(formError).append(notice(text));
      announce(text);
      await showList();
    } catch (error) {
      clear(formError).append(errorBox(error, 'The account was not created'));
    } finally {
      button.disabled = false;
    }
  });

  main.append(pageTitle('Staff'), statusSlot, listSlot, h('section', { class: 'panel' }, form));
  await showList();
  if (ctx.isCurrent()) markReady('staff');
}
