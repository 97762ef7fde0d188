// Timelines: home (with the composer and the stories bar), local, public and a hashtag's.
// Each is a paged feed kept live from the stream: home from the user stream the app always
// has open, the others from a public or hashtag stream subscribed for as long as the view is
// open.

import { h, replace } from '../dom.js';
import { composer } from '../components/composer.js';
import { tagFollowButton } from '../components/account.js';
import { pagedFeed } from '../components/feed.js';
import { followLiveStatuses, statusCard } from '../components/status.js';

const KINDS = {
  home: { title: 'Home', label: 'Home timeline', path: () => '/api/v1/timelines/home', empty: 'Your home timeline is empty. Follow people or hashtags, or write your first post.' },
  local: { title: 'Local', label: 'Local timeline', path: () => '/api/v1/timelines/public', query: { local: true }, empty: 'Nobody on this server has posted yet.' },
  public: { title: 'Public', label: 'Public timeline', path: () => '/api/v1/timelines/public', empty: 'No public posts yet.' },
  tag: { title: (p) => `#${p.name}`, label: (p) => `Posts tagged #${p.name}`, path: (p) => `/api/v1/timelines/tag/${encodeURIComponent(p.name)}`, empty: 'No posts with this hashtag yet.' },
};

const resolve = (v, params) => (typeof v === 'function' ? v(params) : v);

const isPublic = (s) => s.visibility === 'public' && !s.reblog;
const hasTag = (s, name) => (s.tags || []).some((t) => String(t.name).toLowerCase() === name.toLowerCase());

/**
 * Whether a live status belongs in this timeline. The user stream feeds every view, so its
 * statuses count for home; a public one that also reached it (from someone followed) counts
 * for the public timelines too, since it is the same post the public stream carries.
 */
function belongsTo(kind, name) {
  if (kind === 'home') return (s, names) => names[0] === 'user';
  if (kind === 'local') return (s, names) => names[0] === 'public:local' || (names[0] === 'user' && isPublic(s));
  if (kind === 'public') return (s, names) => names[0] === 'public' || (names[0] === 'user' && isPublic(s));
  return (s, names) =>
    (names[0] === 'hashtag' && String(names[1] || '').toLowerCase() === name.toLowerCase()) ||
    (names[0] === 'user' && isPublic(s) && hasTag(s, name));
}

export default {
  title: (params) => resolve(KINDS[params.kind]?.title, params) || 'Timeline',

  async render(main, ctx, params) {
    const kind = KINDS[params.kind] ? params.kind : 'public';
    const spec = KINDS[kind];
    if (kind === 'home' && !ctx.account) {
      ctx.navigate('/signin', { replace: true });
      return null;
    }
    const cleanups = [];
    const heading = h('div', { class: 'view-header' }, h('h1', {}, resolve(spec.title, params)));
    main.append(heading);
    if (kind === 'tag' && ctx.account) heading.append(await tagFollow(ctx, params.name));

    if (kind === 'home') {
      const storiesSlot = h('div', { class: 'stories-slot' });
      main.append(storiesSlot, h('section', { class: 'card composer-card', 'aria-label': 'New post' }, composer(ctx)));
      mountStories(ctx, storiesSlot, cleanups);
    }

    const feed = pagedFeed({
      label: resolve(spec.label, params),
      empty: spec.empty,
      key: (s) => s.id,
      render: (s) => statusCard(s, ctx),
      load: (cursor) => (cursor ? ctx.api.page(cursor) : ctx.api.list(spec.path(params), spec.query)),
    });
    main.append(feed.element);
    cleanups.push(() => feed.destroy());
    cleanups.push(followLiveStatuses(ctx.stream));
    cleanups.push(liveUpdates(ctx, kind, params.name, feed));
    await feed.start();
    return () => cleanups.forEach((fn) => fn());
  },
};

/** New statuses from the stream into the feed; subscribes to the public streams it needs. */
function liveUpdates(ctx, kind, tag, feed) {
  const stream = ctx.stream;
  if (!stream) return () => {};
  const ours = belongsTo(kind, tag || '');
  const off = stream.on('update', (status, message) => {
    if (status?.id && ours(status, message.stream || [])) feed.prepend(status);
  });
  const unsubscribe =
    kind === 'local' ? stream.subscribe('public:local') : kind === 'public' ? stream.subscribe('public') : kind === 'tag' ? stream.subscribe('hashtag', tag) : () => {};
  // Starling may not echo a reply to someone the reader does not follow into their home
  // stream, but one's own new post always belongs at the top of one's home.
  const onPosted = (e) => {
    if (kind === 'home' && e.detail?.id && !e.detail.in_reply_to_id) feed.prepend(e.detail);
  };
  document.addEventListener('starling:posted', onPosted);
  return () => {
    off();
    unsubscribe();
    document.removeEventListener('starling:posted', onPosted);
  };
}

/** The stories bar, from the stories component when it exists (it is optional). */
async function mountStories(ctx, slot, cleanups) {
  try {
    const { storiesBar } = await import('../components/stories.js');
    if (!slot.isConnected) return; // the reader has already left
    const bar = storiesBar(ctx);
    if (bar) {
      replace(slot, bar);
      if (typeof bar.cleanup === 'function') cleanups.push(bar.cleanup);
    }
  } catch (err) {
    // No stories on this build, or they failed to load: the timeline works without them.
    if (!/Failed to fetch|Importing a module script failed|error loading dynamically/i.test(String(err?.message))) console.warn(err);
  }
}

/** Follow / Unfollow for a hashtag, with its current state. */
async function tagFollow(ctx, name) {
  let following = false;
  try {
    following = Boolean((await ctx.api.get(`/api/v1/tags/${encodeURIComponent(name)}`)).following);
  } catch {
    // an unknown tag: nobody follows it yet
  }
  return tagFollowButton(ctx, name, following);
}
