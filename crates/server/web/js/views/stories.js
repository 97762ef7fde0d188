// /stories/:account — one account's stories (by id or acct), played in the same viewer as the
// bar above the home timeline. The page under the viewer lists them, so that closing the viewer
// leaves something to come back to.

import { openStoryViewer } from '../components/stories.js';
import { h, relativeTime, replace } from '../dom.js';

/** An account from an id (all digits) or an acct (with or without the @). */
async function findAccount(api, key) {
  const ref = key.replace(/^@/, '');
  if (/^\d+$/.test(ref)) return api.get(`/api/v1/accounts/${ref}`);
  return api.get('/api/v1/accounts/lookup', { acct: ref });
}

export default {
  title: (params) => `Stories of ${/^\d+$/.test(params.account) ? 'an account' : `@${params.account.replace(/^@/, '')}`}`,

  async render(main, ctx, params) {
    if (!ctx.account) {
      replace(main, h('h1', {}, 'Stories'), h('p', {}, 'Sign in to see stories. ', h('a', { href: '/signin' }, 'Sign in')));
      return;
    }
    const heading = h('h1', {}, 'Stories');
    const body = h('div', { class: 'story-page' }, h('p', { class: 'loading' }, 'Loading…'));
    replace(main, h('div', { class: 'view-pad' }, heading, body));

    let account;
    let stories;
    const path = location.pathname;
    try {
      account = await findAccount(ctx.api, params.account);
      stories = await ctx.api.get(`/api/v1/accounts/${account.id}/stories`);
    } catch (err) {
      if (location.pathname !== path) return null;
      replace(body, h('p', { role: 'alert' }, err.status === 404 ? 'No such account, or its stories are not yours to see.' : err.message));
      return;
    }
    // Left while loading: no viewer over another page.
    if (location.pathname !== path) return null;
    heading.textContent = `Stories of @${account.acct}`;
    document.title = `Stories of @${account.acct} · Starling`;

    let viewer = null;
    const play = (startAt = 0, opener = null) => {
      viewer?.close();
      const opened = openStoryViewer(ctx, {
        account,
        stories,
        startAt,
        opener,
        owner: main,
        // The close event comes later than close(): a newer viewer may be open by then.
        onClose: () => viewer === opened && (viewer = null),
      });
      viewer = opened;
    };

    if (!stories.length) {
      replace(
        body,
        h('p', {}, `@${account.acct} has no stories right now.`),
        h('p', {}, h('a', { href: `/@${account.acct}` }, `Go to @${account.acct}'s profile`)),
      );
      return;
    }
    const playButton = h('button', { type: 'button', class: 'button button-primary', onclick: (e) => play(0, e.currentTarget) }, 'Play stories');
    replace(
      body,
      playButton,
      h(
        'ol',
        { class: 'story-page-list' },
        stories.map((s, i) =>
          h(
            'li',
            {},
            h(
              'button',
              { type: 'button', class: 'link-button', onclick: (e) => play(i, e.currentTarget) },
              s.text || (s.media_attachments.length ? 'An image' : 'A story'),
            ),
            ' ',
            h('time', { datetime: s.created_at, class: 'muted' }, relativeTime(s.created_at)),
          ),
        ),
      ),
    );
    const unseen = stories.findIndex((s) => !s.seen);
    play(account.id === ctx.account.id || unseen < 0 ? 0 : unseen, playButton);
    return () => viewer?.close();
  },
};
