// How an account appears outside its own profile: an avatar, its names, a link to the profile,
// and a Follow button. Shared by profiles (followers, following), notifications and search.

import { h, replace } from '../dom.js';

/** The name to show: the display name, or the username when there is none. */
export function displayName(account) {
  return account.display_name?.trim() || account.username || account.acct;
}

export function profilePath(account) {
  return `/@${account.acct}`;
}

/** An avatar image; decorative, since the name always sits next to it. */
export function avatar(account, size = '') {
  return h('img', {
    class: size ? `avatar avatar-${size}` : 'avatar',
    src: account.avatar_static || account.avatar,
    alt: '',
    loading: 'lazy',
    width: size === 'small' ? 32 : size === 'large' ? 96 : 48,
    height: size === 'small' ? 32 : size === 'large' ? 96 : 48,
  });
}

/**
 * A Follow / Unfollow button. `send(following)` asks the server to flip the current state and
 * resolves to the new one; `label` names what is followed (`@acct`, `#tag`) in the toast and,
 * with `named`, in the button's accessible name (which then also says `aria-pressed`).
 */
export function followToggle(ctx, { following, send, label, className = 'button', named = false }) {
  let state = Boolean(following);
  const button = h('button', { type: 'button', class: className });
  const render = () => {
    button.textContent = state ? 'Unfollow' : 'Follow';
    button.classList.toggle('button-primary', !state);
    if (named) {
      button.setAttribute('aria-label', `${state ? 'Unfollow' : 'Follow'} ${label}`);
      button.setAttribute('aria-pressed', String(state));
    }
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      state = await send(state);
      render();
      ctx.toast(state ? `Following ${label}` : `Unfollowed ${label}`);
    } catch (err) {
      ctx.toast(err.message, 'error');
    } finally {
      button.disabled = false;
      button.focus();
    }
  });
  render();
  return button;
}

/**
 * A Follow / Unfollow button for `account`. `following` is the current state (from
 * relationships); `onChange(relationship)` hears the new one.
 */
export function followButton(ctx, account, following, onChange) {
  return followToggle(ctx, {
    following,
    label: `@${account.acct}`,
    className: 'button follow-button',
    send: async (state) => {
      const rel = await ctx.api.post(`/api/v1/accounts/${account.id}/${state ? 'unfollow' : 'follow'}`);
      onChange?.(rel);
      return Boolean(rel.following || rel.requested);
    },
  });
}

/** A Follow / Unfollow button for hashtag `name`, whose current state is `following`. */
export function tagFollowButton(ctx, name, following, { className = 'button', named = false } = {}) {
  return followToggle(ctx, {
    following,
    label: `#${name}`,
    className,
    named,
    send: async (state) => {
      const tag = await ctx.api.post(`/api/v1/tags/${encodeURIComponent(name)}/${state ? 'unfollow' : 'follow'}`);
      return Boolean(tag.following);
    },
  });
}

/** A compact row: avatar, names linking to the profile, the note's first line, and Follow. */
export function accountRow(ctx, account, { following } = {}) {
  const me = ctx.account;
  const action = h('div', { class: 'account-row-action' });
  if (me && me.id !== account.id && following !== undefined) replace(action, followButton(ctx, account, following));
  return h(
    'div',
    { class: 'account-row' },
    avatar(account),
    h(
      'div',
      { class: 'account-row-names' },
      h('a', { href: profilePath(account), class: 'account-row-name' }, displayName(account)),
      h('span', { class: 'acct' }, `@${account.acct}`),
    ),
    action,
  );
}

/** Relationships for `accounts`, by id (empty when signed out or on failure). */
export async function relationships(ctx, accounts) {
  const me = ctx.account;
  const ids = accounts.map((a) => a.id).filter((id) => id !== me?.id);
  if (!me || !ids.length) return {};
  try {
    const list = await ctx.api.get('/api/v1/accounts/relationships', { id: ids });
    return Object.fromEntries(list.map((r) => [r.id, r]));
  } catch {
    return {};
  }
}
