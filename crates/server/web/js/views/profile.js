// A profile: the account's header (avatar, names, bio, counts, Follow or Edit profile) and one
// of three sections: its posts, its followers, the accounts it follows.

import { h, replace, sanitize } from '../dom.js';
import { accountRow, avatar, followButton, relationships } from '../components/account.js';
import { pagedFeed } from '../components/feed.js';
import { followLiveStatuses, statusCard } from '../components/status.js';
import { errorMessage, loading, openDialog, uniqueId } from '../components/ui.js';

const TABS = [
  ['statuses', 'Posts', ''],
  ['followers', 'Followers', '/followers'],
  ['following', 'Following', '/following'],
];

export default {
  title: (params) => `@${params.acct}`,

  async render(main, ctx, params) {
    replace(main, loading());
    let account;
    try {
      account = await ctx.api.get('/api/v1/accounts/lookup', { acct: params.acct });
    } catch (err) {
      replace(main, h('h1', {}, `@${params.acct}`), errorMessage(err.status === 404 ? 'There is no account with this name.' : err.message));
      return null;
    }
    const headerSlot = h('div', { class: 'profile-slot' });
    const renderHeader = async (a) => replace(headerSlot, await profileHeader(ctx, a, renderHeader));
    await renderHeader(account);

    const tab = params.tab || 'statuses';
    const nav = h(
      'nav',
      { class: 'tabs', 'aria-label': 'Profile sections' },
      TABS.map(([id, label, suffix]) =>
        h('a', { href: `/@${account.acct}${suffix}`, class: 'tab', 'aria-current': id === tab ? 'page' : null }, label),
      ),
    );
    const section = tab === 'statuses' ? postsFeed(ctx, account) : accountsFeed(ctx, account, tab);
    replace(main, headerSlot, nav, section.element);
    const cleanups = [() => section.destroy(), followLiveStatuses(ctx.stream)];
    if (tab === 'statuses') cleanups.push(ownNewPosts(ctx, account, section));
    await section.start();
    return () => cleanups.forEach((fn) => fn());
  },
};

async function profileHeader(ctx, account, rerender) {
  const me = ctx.account;
  const own = me && me.id === account.id;
  const actions = h('div', { class: 'profile-actions' });
  if (own) {
    actions.append(
      h('a', { href: '/settings', class: 'button' }, 'Settings'),
      h('button', { type: 'button', class: 'button', onclick: () => editProfile(ctx, rerender) }, 'Edit profile'),
    );
  } else if (me) {
    const rel = (await relationships(ctx, [account]))[account.id];
    const followsYou = h('span', { class: 'tag-chip', hidden: !rel?.followed_by }, 'Follows you');
    actions.append(
      followsYou,
      followButton(ctx, account, rel?.following, async () => {
        // Counts changed: show the new follower count.
        try {
          const fresh = await ctx.api.get(`/api/v1/accounts/${account.id}`);
          counts.replaceWith((counts = profileCounts(fresh)));
        } catch {
          // the counts stay as they were
        }
      }),
    );
  }
  const hasHeader = account.header && !/\/missing\.png$/.test(account.header);
  let counts = profileCounts(account);
  const note = h('div', { class: 'profile-note' });
  note.append(sanitize(account.note || ''));
  return h(
    'section',
    { class: 'profile', 'aria-label': 'Profile' },
    hasHeader ? h('img', { class: 'profile-banner', src: account.header, alt: '' }) : h('div', { class: 'profile-banner profile-banner-empty' }),
    h('div', { class: 'profile-top' }, avatar(account, 'large'), actions),
    h('h1', { class: 'profile-name' }, account.display_name?.trim() || `@${account.acct}`),
    h('p', { class: 'acct' }, `@${account.acct}`, account.locked ? ' · locked' : '', account.bot ? ' · bot' : ''),
    note,
    counts,
    h('p', { class: 'profile-joined' }, `Joined ${new Date(account.created_at).toLocaleDateString(undefined, { year: 'numeric', month: 'long' })}`),
  );
}

function profileCounts(account) {
  const item = (n, one, many) => h('li', {}, h('strong', {}, String(n ?? 0)), ` ${n === 1 ? one : many}`);
  return h(
    'ul',
    { class: 'profile-counts' },
    item(account.statuses_count, 'post', 'posts'),
    item(account.followers_count, 'follower', 'followers'),
    item(account.following_count, 'following', 'following'),
  );
}

function postsFeed(ctx, account) {
  return pagedFeed({
    label: `Posts by @${account.acct}`,
    empty: 'No posts yet.',
    key: (s) => s.id,
    render: (s) => statusCard(s, ctx),
    load: (cursor) => (cursor ? ctx.api.page(cursor) : ctx.api.list(`/api/v1/accounts/${account.id}/statuses`)),
  });
}

/** One's own new posts appear on one's own profile at once. */
function ownNewPosts(ctx, account, feed) {
  const onPosted = (e) => {
    if (e.detail?.account?.id === account.id) feed.prepend(e.detail);
  };
  document.addEventListener('starling:posted', onPosted);
  return () => document.removeEventListener('starling:posted', onPosted);
}

function accountsFeed(ctx, account, tab) {
  // Each page's relationships are fetched with it, so that each row can show Follow or Unfollow.
  const load = async (cursor) => {
    const page = cursor ? await ctx.api.page(cursor) : await ctx.api.list(`/api/v1/accounts/${account.id}/${tab}`);
    const rels = await relationships(ctx, page.items);
    page.items.forEach((a) => (a.relationship = rels[a.id]));
    return page;
  };
  return pagedFeed({
    label: tab === 'followers' ? `Followers of @${account.acct}` : `Accounts @${account.acct} follows`,
    empty: tab === 'followers' ? 'No followers yet.' : 'Not following anyone yet.',
    list: true,
    key: (a) => a.id,
    render: (a) => accountRow(ctx, a, { following: a.relationship ? a.relationship.following : ctx.account ? false : undefined }),
    load,
  });
}

async function editProfile(ctx, rerender) {
  let me;
  try {
    me = await ctx.api.get('/api/v1/accounts/verify_credentials');
  } catch (err) {
    ctx.toast(err.message, 'error');
    return;
  }
  const nameId = uniqueId('display-name');
  const noteId = uniqueId('note');
  const name = h('input', { id: nameId, type: 'text', class: 'input', value: me.display_name || '', maxlength: '30', autocomplete: 'nickname' });
  const note = h('textarea', { id: noteId, class: 'input', rows: '4', maxlength: '500' });
  note.value = me.source?.note ?? '';
  const errors = h('div');
  const save = h('button', { type: 'submit', class: 'button button-primary' }, 'Save');
  const form = h(
    'form',
    { class: 'form' },
    h('div', { class: 'field' }, h('label', { for: nameId }, 'Display name'), name),
    h('div', { class: 'field' }, h('label', { for: noteId }, 'Bio'), note),
    errors,
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel'), save),
  );
  const dialog = openDialog({ title: 'Edit profile', body: form });
  name.focus();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    save.disabled = true;
    replace(errors);
    try {
      const updated = await ctx.api.patch('/api/v1/accounts/update_credentials', { display_name: name.value, note: note.value });
      dialog.close();
      ctx.toast('Profile saved');
      await rerender(updated);
    } catch (err) {
      replace(errors, errorMessage(err.message));
      save.disabled = false;
    }
  });
}
