// Signing in and signing up. Signing in leaves for the server's own authorization page (OAuth
// with PKCE), so no password is ever typed into the client; signing up creates the account
// through the API and signs it in here.

import * as accounts from '../accounts.js';
import { h, replace } from '../dom.js';
import { avatar } from '../components/account.js';
import { errorMessage, uniqueId } from '../components/ui.js';

export default {
  title: (params) => (params.mode === 'signup' ? 'Create an account' : 'Sign in'),

  async render(main, ctx, params) {
    replace(main, params.mode === 'signup' ? signUpForm(ctx) : welcome(ctx));
    return null;
  },
};

function welcome(ctx) {
  const known = accounts.accounts();
  const error = h('div');
  const signIn = h('button', { type: 'button', class: 'button button-primary button-large' }, 'Sign in');
  signIn.addEventListener('click', async () => {
    signIn.disabled = true;
    try {
      await accounts.beginSignIn(); // leaves the page
    } catch (err) {
      replace(error, errorMessage(err.message));
      signIn.disabled = false;
    }
  });
  return h(
    'section',
    { class: 'welcome card' },
    h('h1', {}, 'Welcome to Starling'),
    h('p', { class: 'welcome-lead' }, 'Short posts, live. Follow people and hashtags, share stories, chat — everything arrives the moment it happens.'),
    h('div', { class: 'welcome-actions' }, signIn, h('a', { href: '/signup', class: 'button button-large' }, 'Create an account')),
    error,
    known.length
      ? h(
          'div',
          { class: 'welcome-accounts' },
          h('h2', {}, 'Signed in on this device'),
          h(
            'ul',
            { class: 'account-list' },
            known.map((a) =>
              h(
                'li',
                { class: 'account-row' },
                avatar(a),
                h('span', { class: 'account-row-names' }, h('span', { class: 'account-row-name' }, a.display_name || a.username), h('span', { class: 'acct' }, `@${a.acct}`)),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'button',
                    onclick: () => {
                      accounts.switchTo(a.id);
                      ctx.navigate('/home');
                    },
                  },
                  `Continue as @${a.acct}`,
                ),
              ),
            ),
          ),
        )
      : null,
    h('p', { class: 'welcome-browse' }, 'Or just look around: ', h('a', { href: '/public' }, 'the public timeline'), ', ', h('a', { href: '/explore' }, 'what is trending'), '.'),
  );
}

/** A labelled text field; `hint` is read after the label. */
function field(label, attrs, hint) {
  const id = uniqueId('field');
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const input = h('input', { id, class: 'input', 'aria-describedby': hintId, ...attrs });
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const wrapper = h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { id: hintId, class: 'field-hint' }, hint) : null, error);
  wrapper.input = input;
  wrapper.showError = (message) => {
    error.textContent = message || '';
    error.hidden = !message;
    if (message) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
    } else {
      input.removeAttribute('aria-invalid');
      if (hintId) input.setAttribute('aria-describedby', hintId);
      else input.removeAttribute('aria-describedby');
    }
  };
  return wrapper;
}

function signUpForm(ctx) {
  const fields = {
    username: field('Username', { name: 'username', autocomplete: 'username', required: true, maxlength: '30', pattern: '[A-Za-z0-9_]+', autocapitalize: 'none', spellcheck: 'false' }, 'Letters, numbers and underscores.'),
    email: field('Email', { name: 'email', type: 'email', autocomplete: 'email', required: true }),
    password: field('Password', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: '8' }, 'At least 8 characters.'),
  };
  const errors = h('div');
  const submit = h('button', { type: 'submit', class: 'button button-primary button-large' }, 'Create account');
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    Object.values(fields),
    errors,
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(errors);
    Object.values(fields).forEach((f) => f.showError(null));
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await accounts.signUp({
        username: fields.username.input.value.trim(),
        email: fields.email.input.value.trim(),
        password: fields.password.input.value,
      });
      ctx.toast('Welcome to Starling!');
      ctx.navigate('/home');
    } catch (err) {
      // The server names the field at fault (Mastodon's `details`); the summary goes on top.
      for (const [name, problems] of Object.entries(err.body?.details || {})) {
        fields[name]?.showError(problems.map((p) => p.description || p.error).join(' '));
      }
      replace(errors, errorMessage(err.message));
      const bad = Object.keys(err.body?.details || {}).find((name) => fields[name]);
      (bad ? fields[bad].input : fields.username.input).focus();
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  return h(
    'section',
    { class: 'welcome card' },
    h('h1', {}, 'Create an account'),
    h('p', { class: 'welcome-lead' }, 'Pick a username; it is how people mention you (@username).'),
    form,
    h('p', {}, 'Already have an account? ', h('a', { href: '/signin' }, 'Sign in')),
  );
}
