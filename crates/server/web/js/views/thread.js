// A thread: the status, what it answers (ancestors), and the replies under it (descendants,
// indented by depth), with a reply composer. Replies posted here or arriving live join the
// thread where they belong.

import { h, replace } from '../dom.js';
import { composer } from '../components/composer.js';
import { followLiveStatuses, statusCard } from '../components/status.js';
import { errorMessage, loading } from '../components/ui.js';

const MAX_DEPTH = 4;

export default {
  title: 'Post',

  async render(main, ctx, params) {
    replace(main, h('h1', { class: 'visually-hidden' }, 'Post'), loading());
    let status;
    let context;
    try {
      [status, context] = await Promise.all([
        ctx.api.get(`/api/v1/statuses/${encodeURIComponent(params.id)}`),
        ctx.api.get(`/api/v1/statuses/${encodeURIComponent(params.id)}/context`),
      ]);
    } catch (err) {
      replace(main, h('h1', {}, 'Post'), errorMessage(err.status === 404 ? 'This post does not exist or is not visible to you.' : err.message));
      return null;
    }
    const focus = status.reblog || status;
    const depths = new Map([[focus.id, 0]]);
    const thread = new Set([focus.id, ...context.ancestors.map((s) => s.id)]);

    const ancestors = h('div', { class: 'thread-ancestors' }, context.ancestors.map((s) => statusCard(s, ctx, { hideReplyContext: true })));
    const main_ = statusCard(focus, ctx, { highlight: true, hideReplyContext: context.ancestors.length > 0 });
    const replies = h('div', { class: 'thread-replies', role: 'feed', 'aria-label': 'Replies' });

    const addReply = (s) => {
      if (thread.has(s.id) || !depths.has(s.in_reply_to_id)) return false;
      const depth = Math.min(depths.get(s.in_reply_to_id) + 1, MAX_DEPTH);
      depths.set(s.id, depths.get(s.in_reply_to_id) + 1);
      thread.add(s.id);
      const card = statusCard(s, ctx, { hideReplyContext: depth < MAX_DEPTH });
      card.classList.add(`depth-${depth}`);
      // A reply goes after its parent's last descendant already shown, so subthreads stay together.
      const after = lastDescendantCard(replies, s.in_reply_to_id, depths);
      if (after) after.after(card);
      else replies.append(card);
      return card;
    };
    context.descendants.forEach((s) => addReply(s));

    const replyBox = ctx.account
      ? h('section', { class: 'card composer-card', 'aria-label': 'Reply' }, composer(ctx, { replyTo: focus }))
      : h('p', { class: 'thread-signin' }, h('a', { href: '/signin' }, 'Sign in'), ' to reply.');

    replace(
      main,
      h('h1', { class: 'visually-hidden' }, `Post by @${focus.account.acct}`),
      h('div', { class: 'thread' }, ancestors, main_, replyBox, replies),
    );
    if (context.ancestors.length) main_.scrollIntoView({ block: 'center' });

    const onPosted = (e) => {
      const card = addReply(e.detail);
      if (card) card.classList.add('slide-in');
    };
    document.addEventListener('starling:posted', onPosted);
    const offs = [followLiveStatuses(ctx.stream), () => document.removeEventListener('starling:posted', onPosted)];
    if (ctx.stream) {
      offs.push(
        ctx.stream.on('update', (s) => {
          if (!s?.reblog) addReply(s)?.classList.add('slide-in');
        }),
      );
    }
    return () => offs.forEach((off) => off());
  },
};

/** The card after which a new reply to `parentId` belongs: the parent's last shown descendant. */
function lastDescendantCard(container, parentId, depths) {
  const cards = [...container.querySelectorAll(':scope > article.status')];
  const at = cards.findIndex((c) => c.dataset.id === parentId);
  if (at < 0) return null;
  const parentDepth = depths.get(parentId);
  let last = cards[at];
  for (const card of cards.slice(at + 1)) {
    if ((depths.get(card.dataset.id) ?? 0) <= parentDepth) break;
    last = card;
  }
  return last;
}
