// Stories: the bar above the home timeline (one button per account with live stories, and
// "Add a story"), and the viewer that plays an account's stories one after another. The author
// of a story sees who viewed it and how they reacted, live from the user stream.
//
// The timeline view builds a new bar on every render and knows nothing about its listeners, so
// the bar ties them to its own life: once it has been in the document and is no longer, its
// stream handlers unsubscribe themselves (and `bar.cleanup()` does the same on demand).

import { h, replace, relativeTime } from '../dom.js';
import { confirmDialog, icon, openDialog } from './ui.js';

export const REACTIONS = ['❤️', '😂', '😮', '👏'];
/** How long one story stays on screen, unless paused. */
const STORY_MS = 5000;
/** Durations offered when adding a story, in seconds (the server allows up to a day). */
const DURATIONS = [
  [86400, '24 hours'],
  [43200, '12 hours'],
  [21600, '6 hours'],
  [3600, '1 hour'],
];

/** Bars built so far that still listen: a bar that left the document is released by the next. */
const liveBars = new Set();

/** The bar of stories for the top of the home timeline: a region named "Stories". */
export function storiesBar(ctx) {
  releaseDetachedBars();
  const list = h('ul', { class: 'stories-list' });
  const bar = h(
    'section',
    { class: 'stories-bar', 'aria-label': 'Stories' },
    h('span', { id: 'stories-unseen-hint', class: 'visually-hidden', hidden: true }, 'New stories'),
    list,
  );
  if (!ctx.account) {
    bar.hidden = true;
    return bar;
  }
  let attached = false;
  let groups = [];
  let refreshTimer = null;
  const unsubscribers = [];

  const release = () => {
    unsubscribers.splice(0).forEach((off) => off());
    clearTimeout(refreshTimer);
    liveBars.delete(bar);
  };
  /** Whether the bar is still wanted; releases it once it has left the document. */
  const alive = () => {
    if (bar.isConnected) attached = true;
    else if (attached) release();
    return bar.isConnected || !attached;
  };
  bar.cleanup = release;
  bar.isDetached = () => attached && !bar.isConnected;
  liveBars.add(bar);

  const load = async () => {
    try {
      groups = await ctx.api.get('/api/v1/stories');
    } catch (err) {
      groups = [];
      console.warn('stories could not be loaded', err);
    }
    if (alive()) render();
  };
  // Several events often come together (a burst of new stories): one reload for all of them.
  const refreshSoon = () => {
    if (!alive()) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(load, 300);
  };

  const render = () => {
    const me = ctx.account;
    const items = [h('li', {}, addButton(ctx, load))];
    for (const group of groups) {
      const own = group.account.id === me?.id;
      items.push(
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: `story-ring${group.has_unseen && !own ? ' unseen' : ''}`,
              'aria-label': `Stories of @${group.account.acct}`,
              'aria-describedby': group.has_unseen && !own ? 'stories-unseen-hint' : null,
              onclick: (e) =>
                openStoryViewer(ctx, {
                  account: group.account,
                  stories: group.stories,
                  startAt: firstUnseen(group.stories, own),
                  opener: e.currentTarget,
                  owner: bar,
                  onClose: load,
                }),
            },
            h('img', { src: group.account.avatar, alt: '', class: 'avatar', loading: 'lazy' }),
            h('span', { class: 'story-ring-name' }, own ? 'You' : `@${group.account.acct}`),
          ),
        ),
      );
    }
    // Redrawing must not lose the keyboard user's place in the bar.
    const focused = list.contains(document.activeElement) ? document.activeElement.getAttribute('aria-label') : null;
    replace(list, items);
    if (focused) list.querySelector(`[aria-label="${CSS.escape(focused)}"]`)?.focus();
  };

  if (ctx.stream) {
    unsubscribers.push(ctx.stream.on('story.created', refreshSoon), ctx.stream.on('story.deleted', refreshSoon));
  }
  render();
  load();
  return bar;
}

function releaseDetachedBars() {
  for (const bar of liveBars) if (bar.isDetached()) bar.cleanup();
}

/** Where to start playing: the first story not seen yet (from the start when all are seen). */
function firstUnseen(stories, own) {
  if (own) return 0;
  const i = stories.findIndex((s) => !s.seen);
  return i < 0 ? 0 : i;
}

function addButton(ctx, onAdded) {
  return h(
    'button',
    { type: 'button', class: 'story-ring story-add', onclick: () => openAddStory(ctx, onAdded) },
    h('span', { class: 'story-add-icon', 'aria-hidden': 'true' }, '+'),
    h('span', { class: 'story-ring-name' }, 'Add a story'),
  );
}

/** A modal dialog appended to the page, removed when it closes. */
function modal(label, className, ...children) {
  const dialog = h('dialog', { class: `dialog ${className}`, 'aria-label': label }, h('div', { class: 'dialog-inner' }, ...children));
  // A click on the backdrop lands on the <dialog> itself (its inner box takes every other click).
  dialog.addEventListener('click', (e) => e.target === dialog && dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** The small form for a new story: text and/or one image, and how long it lasts. */
function openAddStory(ctx, onAdded) {
  const text = h('textarea', { id: 'story-text', class: 'input', name: 'text', rows: '3', maxlength: '500' });
  const file = h('input', { id: 'story-image', name: 'image', type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp' });
  const description = h('input', { id: 'story-image-description', class: 'input', name: 'description', type: 'text' });
  const duration = h(
    'select',
    { id: 'story-duration', name: 'duration' },
    DURATIONS.map(([seconds, label]) => h('option', { value: String(seconds) }, label)),
  );
  const error = h('p', { class: 'error-text', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Share story');
  const field = (id, label, control) => h('div', { class: 'field' }, h('label', { for: id }, label), control);
  const form = h(
    'form',
    { class: 'form story-form' },
    field('story-text', 'Story text', text),
    field('story-image', 'Story image', file),
    field('story-image-description', 'Image description', description),
    field('story-duration', 'Visible for', duration),
    error,
    h(
      'div',
      { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel'),
      submit,
    ),
  );
  const dialog = openDialog({ title: 'Add a story', body: form, className: 'story-add-dialog' });
  text.focus();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const image = file.files[0];
    if (!text.value.trim() && !image) {
      error.textContent = 'A story needs some text or an image.';
      return;
    }
    submit.disabled = true;
    error.textContent = '';
    try {
      const media_ids = [];
      if (image) {
        const media = await ctx.api.upload('/api/v2/media', { file: image, description: description.value || undefined });
        media_ids.push(media.id);
      }
      await ctx.api.post('/api/v1/stories', { text: text.value, media_ids, duration: Number(duration.value) });
      dialog.close();
      ctx.toast('Your story is up.');
      onAdded?.();
    } catch (err) {
      error.textContent = err.message;
      submit.disabled = false;
    }
  });
}

/**
 * Plays `stories` (one account's, oldest first) in a modal dialog named "Story by @acct".
 * Returns {close}. `opener`: the element to give focus back to; `owner`: the part of the page
 * the viewer belongs to (it closes when that leaves the page); `onClose`: called once closed.
 */
export function openStoryViewer(ctx, { account, stories, startAt = 0, opener = null, owner = null, onClose = null }) {
  if (!stories.length) return { close() {}, dialog: null };
  const me = ctx.account;
  const own = account.id === me?.id;
  const list = stories.slice();
  let index = Math.min(Math.max(startAt, 0), list.length - 1);
  let elapsed = 0;
  let lastTick = performance.now();
  const pausedBy = new Set(); // 'hover', 'focus', 'button', 'hidden', 'confirm'
  const unsubscribers = [];

  const segments = h('div', { class: 'story-segments', 'aria-hidden': 'true' });
  const progress = h(
    'div',
    { class: 'story-progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-label': 'Story progress' },
    segments,
  );
  const when = h('span', { class: 'story-time' });
  const stage = h('div', { class: 'story-stage', tabindex: '0', 'aria-live': 'polite' });
  const pause = h('button', { type: 'button', class: 'button story-pause', 'aria-pressed': 'false', onclick: () => togglePause() }, 'Pause');
  const prev = h('button', { type: 'button', class: 'button story-prev', onclick: () => go(index - 1) }, h('span', { 'aria-hidden': 'true' }, '‹ '), 'Previous');
  const next = h('button', { type: 'button', class: 'button story-next', onclick: () => go(index + 1) }, 'Next', h('span', { 'aria-hidden': 'true' }, ' ›'));
  const reactions = h('div', { class: 'story-reactions', role: 'group', 'aria-label': 'Reactions' });
  const authorPanel = h('div', { class: 'story-author-panel' });

  const dialog = modal(
    `Story by @${account.acct}`,
    'story-viewer',
    h(
      'div',
      { class: 'story-header' },
      h('img', { src: account.avatar, alt: '', class: 'avatar avatar-small' }),
      h('a', { href: `/@${account.acct}`, class: 'story-author', onclick: () => dialog.close() }, `@${account.acct}`),
      when,
      h('button', { type: 'button', class: 'icon-button story-close', 'aria-label': 'Close', onclick: () => dialog.close() }, icon('close')),
    ),
    progress,
    stage,
    h('div', { class: 'story-controls' }, prev, pause, next),
    own ? authorPanel : reactions,
  );

  // Hovering pauses only once the mouse moves over the story: a viewer that opens under a
  // resting pointer still plays, and a tap on a phone (no hover there) pauses nothing.
  stage.addEventListener('pointermove', (e) => e.pointerType === 'mouse' && pausedBy.add('hover'));
  stage.addEventListener('pointerleave', () => pausedBy.delete('hover'));
  stage.addEventListener('focusin', () => pausedBy.add('focus'));
  stage.addEventListener('focusout', () => pausedBy.delete('focus'));
  dialog.addEventListener('keydown', (e) => {
    if (e.target.closest('input, textarea, select')) return;
    if (e.key === 'ArrowRight') {
      e.preventDefault();
      go(index + 1);
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      go(index - 1);
    }
  });

  function togglePause() {
    const paused = !pausedBy.has('button');
    if (paused) pausedBy.add('button');
    else pausedBy.delete('button');
    pause.textContent = paused ? 'Play' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
  }

  function go(i) {
    if (i >= list.length) {
      dialog.close();
      return;
    }
    index = Math.max(0, i);
    elapsed = 0;
    show();
  }

  function show() {
    const story = list[index];
    if (!story) return;
    replace(
      segments,
      list.map((_, i) => h('span', { class: `story-segment${i < index ? ' done' : ''}` }, h('span', { class: 'story-segment-fill' }))),
    );
    progress.setAttribute('aria-valuetext', `Story ${index + 1} of ${list.length}`);
    when.textContent = relativeTime(story.created_at);
    when.title = new Date(story.created_at).toLocaleString();
    replace(stage, storyContent(story));
    // A disabled button drops focus to the page behind: keep it in the viewer.
    if (index === 0 && document.activeElement === prev) next.focus();
    prev.disabled = index === 0;
    next.textContent = '';
    next.append(index === list.length - 1 ? 'Done' : 'Next', h('span', { 'aria-hidden': 'true' }, ' ›'));
    paintProgress();
    if (own) showAuthorPanel(story);
    else {
      renderReactions(story);
      markViewed(story);
    }
  }

  function paintProgress() {
    const pct = Math.min(100, Math.round((elapsed / STORY_MS) * 100));
    progress.setAttribute('aria-valuenow', String(pct));
    const fill = segments.children[index]?.firstChild;
    if (fill) fill.style.width = `${pct}%`;
  }

  async function markViewed(story) {
    if (story.seen) return;
    story.seen = true;
    try {
      await ctx.api.post(`/api/v1/stories/${story.id}/view`);
    } catch (err) {
      if (err.status === 404) drop(story.id);
    }
  }

  // The buttons are made once and updated in place, so that focus stays on the one pressed.
  const reactionButtons = REACTIONS.map((emoji) => {
    const count = h('span', { class: 'count', 'aria-hidden': 'true' });
    const button = h(
      'button',
      { type: 'button', class: 'button story-reaction', 'aria-label': `React with ${emoji}`, onclick: () => react(list[index], emoji) },
      h('span', { 'aria-hidden': 'true' }, emoji),
      count,
    );
    return { emoji, button, count };
  });
  replace(reactions, reactionButtons.map((r) => r.button));

  function renderReactions(story) {
    for (const { emoji, button, count } of reactionButtons) {
      const mine = story.reactions.find((r) => r.emoji === emoji);
      button.setAttribute('aria-pressed', String(Boolean(mine?.me)));
      count.textContent = mine?.count ? String(mine.count) : '';
    }
  }

  async function react(story, emoji) {
    if (!story) return;
    const already = story.reactions.find((r) => r.emoji === emoji)?.me;
    try {
      const updated = already
        ? await ctx.api.del(`/api/v1/stories/${story.id}/reactions/${encodeURIComponent(emoji)}`)
        : await ctx.api.post(`/api/v1/stories/${story.id}/reactions`, { emoji });
      story.reactions = updated.reactions;
      if (list[index] === story) renderReactions(story);
    } catch (err) {
      ctx.toast(err.message, 'error');
    }
  }

  // ---- the author's side: viewers, their reactions, deleting ----
  const viewersByStory = new Map(); // story id -> Map(account id -> {account, emojis: Set})

  function viewerEntry(storyId, account) {
    if (!viewersByStory.has(storyId)) viewersByStory.set(storyId, new Map());
    const viewers = viewersByStory.get(storyId);
    if (!viewers.has(account.id)) viewers.set(account.id, { account, emojis: new Set() });
    return viewers.get(account.id);
  }

  async function showAuthorPanel(story) {
    renderAuthorPanel(story);
    if (story.viewersLoaded) return;
    story.viewersLoaded = true;
    try {
      const { items } = await ctx.api.list(`/api/v1/stories/${story.id}/viewers`, { limit: 80 });
      for (const v of items) {
        const entry = viewerEntry(story.id, v.account);
        // Not part of the API yet; used if the server ever sends who reacted with what.
        for (const emoji of v.reactions || []) entry.emojis.add(emoji);
      }
    } catch (err) {
      console.warn('viewers could not be loaded', err);
    }
    if (list[index] === story) renderAuthorPanel(story);
  }

  function renderAuthorPanel(story) {
    const viewers = [...(viewersByStory.get(story.id)?.values() || [])];
    const count = Math.max(story.views_count || 0, viewers.length);
    const totals = (story.reactions || []).filter((r) => r.count > 0);
    replace(
      authorPanel,
      h('h3', { id: 'story-viewers-heading' }, `Viewers (${count})`),
      totals.length
        ? h('p', { class: 'story-reaction-totals' }, totals.map((r) => `${r.emoji} ${r.count}`).join('  '))
        : null,
      viewers.length
        ? h(
            'ul',
            { class: 'story-viewers', 'aria-label': 'Viewers' },
            viewers.map(({ account: a, emojis }) =>
              h(
                'li',
                {},
                h('img', { src: a.avatar, alt: '', class: 'avatar avatar-small' }),
                h('span', { class: 'story-viewer-name' }, `@${a.acct}`),
                emojis.size ? h('span', { class: 'story-viewer-reactions', 'aria-label': `reacted ${[...emojis].join(' ')}` }, [...emojis].join(' ')) : null,
              ),
            ),
          )
        : h('ul', { class: 'story-viewers empty', 'aria-label': 'Viewers' }, h('li', { class: 'muted' }, 'Nobody yet.')),
      h('button', { type: 'button', class: 'button button-danger', onclick: () => remove(story) }, 'Delete story'),
    );
  }

  async function remove(story) {
    pausedBy.add('confirm');
    const sure = await confirmDialog({ title: 'Delete this story?', confirmLabel: 'Delete', danger: true });
    pausedBy.delete('confirm');
    if (!sure) return;
    try {
      await ctx.api.del(`/api/v1/stories/${story.id}`);
      drop(story.id);
    } catch (err) {
      ctx.toast(err.message, 'error');
    }
  }

  /** Takes a story out of the viewer (deleted or expired), moving on if it was showing. */
  function drop(id) {
    const i = list.findIndex((s) => s.id === id);
    if (i < 0) return;
    list.splice(i, 1);
    if (!list.length) {
      dialog.close();
      return;
    }
    if (i < index) index -= 1;
    else if (i === index) elapsed = 0;
    index = Math.min(index, list.length - 1);
    show();
  }

  if (ctx.stream) {
    const current = () => list[index];
    unsubscribers.push(ctx.stream.on('story.deleted', (id) => drop(String(id))));
    if (own) {
      const onViewer = (storyId, account, emoji) => {
        const story = list.find((s) => s.id === storyId);
        if (!story || !account) return;
        const entry = viewerEntry(storyId, account);
        if (emoji) entry.emojis.add(emoji);
        else story.views_count = Math.max((story.views_count || 0) + 1, viewersByStory.get(storyId).size);
        if (current() === story) renderAuthorPanel(story);
      };
      unsubscribers.push(
        ctx.stream.on('story.viewed', (p) => onViewer(p.story_id, p.viewer || p.account)),
        ctx.stream.on('story.reacted', (p) => onViewer(p.story_id, p.account, p.emoji)),
      );
    }
  }

  const onVisibility = () => (document.hidden ? pausedBy.add('hidden') : pausedBy.delete('hidden'));
  document.addEventListener('visibilitychange', onVisibility);

  // A frame loop rather than an interval: smooth progress, and it stops by itself in a
  // background tab.
  let frame = requestAnimationFrame(function tick(now) {
    if (owner && !owner.isConnected) {
      // The page behind the viewer changed (navigation): nothing to come back to.
      dialog.close();
      return;
    }
    if (!pausedBy.size) elapsed += now - lastTick;
    lastTick = now;
    paintProgress();
    if (elapsed >= STORY_MS) go(index + 1);
    if (dialog.open) frame = requestAnimationFrame(tick);
  });

  dialog.addEventListener('close', () => {
    cancelAnimationFrame(frame);
    unsubscribers.splice(0).forEach((off) => off());
    document.removeEventListener('visibilitychange', onVisibility);
    // The bar may have been redrawn meanwhile: its button for the same account then.
    const label = opener?.getAttribute('aria-label');
    const target = opener?.isConnected ? opener : label && owner?.querySelector(`[aria-label="${CSS.escape(label)}"]`);
    target?.focus();
    onClose?.();
  });

  show();
  next.focus();
  return { close: () => dialog.open && dialog.close(), dialog };
}

/** The story itself: its image(s) and its text (text stays text: nothing is parsed). */
function storyContent(story) {
  const media = (story.media_attachments || []).map((m) =>
    m.type === 'video' || m.type === 'gifv'
      ? h('video', { src: m.url, class: 'story-media', autoplay: true, muted: true, loop: true, playsinline: true, 'aria-label': m.description || 'Video' })
      : h('img', { src: m.url || m.preview_url, alt: m.description || '', class: 'story-media' }),
  );
  return [
    ...media,
    story.text ? h('p', { class: `story-text${media.length ? '' : ' story-text-only'}` }, story.text) : null,
  ];
}
