// Notifications: who did what, newest first, live. Opening the list marks everything in it as
// read (the server's notifications marker, which the unread count and other clients follow).

import { h, relativeTime, replace } from '../dom.js';
import { avatar, profilePath } from '../components/account.js';
import { pagedFeed } from '../components/feed.js';
import { followLiveStatuses, statusCard } from '../components/status.js';
import { confirmDialog, uniqueId } from '../components/ui.js';

const SENTENCES = {
  mention: 'mentioned you',
  favourite: 'liked your post',
  reblog: 'boosted your post',
  follow: 'followed you',
  update: 'edited a post',
  status: 'posted',
  follow_request: 'asked to follow you',
};

export default {
  title: 'Notifications',

  async render(main, ctx) {
    if (!ctx.account) {
      ctx.navigate('/signin', { replace: true });
      return null;
    }
    let newest = null;
    const markRead = markerWriter(ctx);
    const feed = pagedFeed({
      label: 'Notifications',
      empty: 'No notifications yet. When someone follows you, likes, boosts or mentions you, it shows here.',
      noun: ['new notification', 'new notifications'],
      key: (n) => n.id,
      render: (n) => notification(n, ctx),
      load: async (cursor) => {
        const page = cursor ? await ctx.api.page(cursor) : await ctx.api.list('/api/v1/notifications');
        if (!cursor && page.items[0]) newest = page.items[0].id;
        return page;
      },
    });
    const clear = h('button', { type: 'button', class: 'button', onclick: () => clearAll(ctx, feed) }, 'Clear all');
    replace(main, h('div', { class: 'view-header' }, h('h1', {}, 'Notifications'), clear), feed.element);

    const offs = [() => feed.destroy(), followLiveStatuses(ctx.stream)];
    if (ctx.stream) {
      offs.push(
        ctx.stream.on('notification', (n) => {
          if (!n?.id) return;
          feed.prepend(n);
          markRead(n.id);
          ctx.badges.set('notifications', 0);
        }),
      );
    }
    await feed.start();
    ctx.badges.set('notifications', 0);
    if (newest) markRead(newest);
    return () => offs.forEach((fn) => fn());
  },
};

/** Writes the notifications marker, never backwards, at most one request at a time. */
function markerWriter(ctx) {
  let written = null;
  let pending = null;
  let busy = false;
  const newer = (a, b) => !b || BigInt(a) > BigInt(b);
  const flush = async () => {
    if (busy || !pending) return;
    busy = true;
    const id = pending;
    pending = null;
    try {
      await ctx.api.post('/api/v1/markers', { notifications: { last_read_id: id } });
      written = id;
    } catch {
      // The marker is a convenience: the next notification or visit writes it again.
    } finally {
      busy = false;
      flush();
    }
  };
  return (id) => {
    if (!newer(id, written) || !newer(id, pending)) return;
    pending = id;
    flush();
  };
}

function sentence(n) {
  return SENTENCES[n.type] || n.type.replace(/_/g, ' ');
}

function notification(n, ctx) {
  const textId = uniqueId('notification');
  const who = n.account;
  return h(
    'article',
    { class: `notification notification-${n.type}`, tabindex: '-1', 'aria-labelledby': textId, dataset: { id: n.id } },
    h(
      'div',
      { class: 'notification-line' },
      avatar(who, 'small'),
      h('p', { id: textId, class: 'notification-text' }, h('a', { href: profilePath(who) }, `@${who.acct}`), ` ${sentence(n)}`),
      h('time', { class: 'notification-time', datetime: n.created_at, title: new Date(n.created_at).toLocaleString() }, relativeTime(n.created_at)),
    ),
    n.status ? statusCard(n.status, ctx) : null,
  );
}

async function clearAll(ctx, feed) {
  const sure = await confirmDialog({ title: 'Clear all notifications?', message: 'They will be gone for good.', confirmLabel: 'Clear all', danger: true });
  if (!sure) return;
  try {
    await ctx.api.post('/api/v1/notifications/clear');
    feed.clear();
    ctx.badges.set('notifications', 0);
    ctx.toast('Notifications cleared');
  } catch (err) {
    ctx.toast(err.message, 'error');
  }
}
