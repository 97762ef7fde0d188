// Settings that live in this browser: which accounts are signed in here (switch between them,
// sign one out, add another) and the theme.

import * as accounts from '../accounts.js';
import { h, replace } from '../dom.js';
import { avatar } from '../components/account.js';

export default {
  title: 'Settings',

  async render(main, ctx) {
    replace(main, h('div', { class: 'view-header' }, h('h1', {}, 'Settings')), accountsSection(ctx), themeSection());
    return null;
  },
};

function accountsSection(ctx) {
  const me = ctx.account;
  const list = accounts.accounts();
  return h(
    'section',
    { class: 'card settings-section', 'aria-labelledby': 'settings-accounts' },
    h('h2', { id: 'settings-accounts' }, 'Accounts on this device'),
    list.length
      ? h(
          'ul',
          { class: 'account-list' },
          list.map((a) =>
            h(
              'li',
              { class: 'account-row' },
              avatar(a),
              h(
                'span',
                { class: 'account-row-names' },
                h('a', { href: `/@${a.acct}`, class: 'account-row-name' }, a.display_name || a.username),
                h('span', { class: 'acct' }, `@${a.acct}`, a.id === me?.id ? ' · current' : ''),
              ),
              h(
                'span',
                { class: 'account-row-action' },
                a.id === me?.id ? null : h('button', { type: 'button', class: 'button', onclick: () => accounts.switchTo(a.id) }, `Switch to @${a.acct}`),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'button',
                    onclick: async (e) => {
                      e.currentTarget.disabled = true;
                      await accounts.signOut(a.id);
                      ctx.toast(`Signed out @${a.acct}`);
                      if (!accounts.current()) ctx.navigate('/signin');
                    },
                  },
                  `Sign out @${a.acct}`,
                ),
              ),
            ),
          ),
        )
      : h('p', {}, 'Nobody is signed in here.'),
    h('p', {}, h('a', { href: '/signin', class: 'button' }, 'Add an account')),
  );
}

/** The theme is applied by the shell's toggle; choosing here presses it when it differs. */
function themeSection() {
  const current = document.documentElement.dataset.theme || 'light';
  const choice = (value, label) =>
    h(
      'label',
      { class: 'choice' },
      h('input', {
        type: 'radio',
        name: 'theme',
        value,
        checked: current === value,
        onchange: () => {
          if (document.documentElement.dataset.theme !== value) document.querySelector('.theme-toggle')?.click();
        },
      }),
      ` ${label}`,
    );
  return h(
    'section',
    { class: 'card settings-section' },
    h('fieldset', { class: 'choices' }, h('legend', {}, h('h2', {}, 'Theme')), choice('light', 'Light'), choice('dark', 'Dark')),
  );
}
