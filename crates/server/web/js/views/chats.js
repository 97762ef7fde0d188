// /chats — the list of chats, newest activity first, and starting a new one;
// /chats/:id — one chat: its messages (oldest at the top), sending, typing, read markers and
// presence, all live from the user stream.
//
// What the stream sends for chats goes to every participant's connections, the sender's too:
// a message this tab sent comes back as `chat.message`, so messages are kept by id and drawn
// once.

import { confirmDialog } from '../components/ui.js';
import { h, relativeTime, replace, sanitize } from '../dom.js';

/** How often "is typing" is told to the server while the user types. */
const TYPING_EVERY_MS = 3000;
/** How long "is typing" stays without another signal. */
const TYPING_SHOWN_MS = 5000;

/** Orders decimal id strings (too large for Numbers) numerically. */
function compareIds(a, b) {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function names(accounts) {
  return accounts.length ? accounts.map((a) => `@${a.acct}`).join(', ') : 'Nobody else';
}

export default {
  title: (params) => (params.id ? 'Chat' : 'Chats'),

  async render(main, ctx, params) {
    if (!ctx.account) {
      replace(main, h('h1', {}, 'Chats'), h('p', {}, 'Sign in to chat. ', h('a', { href: '/signin' }, 'Sign in')));
      return null;
    }
    return params.id ? renderChat(main, ctx, params.id) : renderList(main, ctx);
  },
};

// ---------------------------------------------------------------- the list

function renderList(main, ctx) {
  const list = h('ul', { class: 'chat-list', 'aria-label': 'Chats' });
  const more = h('button', { type: 'button', class: 'button load-more', hidden: true }, 'Load more chats');
  const picker = newChatPicker(ctx);
  const newButton = h(
    'button',
    {
      type: 'button',
      class: 'button button-primary',
      'aria-expanded': 'false',
      'aria-controls': 'new-chat',
      onclick: () => {
        const open = picker.hidden;
        picker.hidden = !open;
        newButton.setAttribute('aria-expanded', String(open));
        if (open) picker.querySelector('input')?.focus();
      },
    },
    'New chat',
  );
  replace(main, h('div', { class: 'view-pad chats-view' }, h('div', { class: 'view-header' }, h('h1', {}, 'Chats'), newButton), picker, list, more));

  let chats = [];
  let next = null;
  const draw = () =>
    replace(
      list,
      chats.length ? chats.map((c) => chatItem(c, ctx)) : h('li', { class: 'empty' }, 'No chats yet. Start one with New chat.'),
    );
  const load = async () => {
    try {
      const page = await ctx.api.list('/api/v1/chats', { limit: 40 });
      chats = page.items;
      next = page.next;
      more.hidden = !next;
      draw();
    } catch (err) {
      replace(list, h('li', { role: 'alert' }, err.message));
    }
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const page = await ctx.api.page(next);
      const known = new Set(chats.map((c) => c.id));
      chats.push(...page.items.filter((c) => !known.has(c.id)));
      next = page.next;
      more.hidden = !next;
      draw();
    } catch (err) {
      ctx.toast(err.message, 'error');
    }
    more.disabled = false;
  });

  // A message changes a chat's place, last message and unread count: the list is fetched
  // again (once for a burst) rather than patched.
  let timer = null;
  const reloadSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  };
  const offs = ctx.stream
    ? ['chat.created', 'chat.message', 'chat.read', 'chat.left'].map((e) => ctx.stream.on(e, reloadSoon))
    : [];
  replace(list, h('li', { class: 'loading' }, 'Loading…'));
  load();
  return () => {
    clearTimeout(timer);
    offs.forEach((off) => off());
  };
}

function chatItem(chat, ctx) {
  const last = chat.last_message;
  const title = names(chat.accounts);
  const preview = last
    ? `${last.account.id === ctx.account.id ? 'You: ' : chat.group ? `@${last.account.acct}: ` : ''}${last.text || 'an attachment'}`
    : 'No messages yet';
  return h(
    'li',
    { class: `chat-item${chat.unread_count ? ' unread' : ''}` },
    h(
      'a',
      { href: `/chats/${chat.id}`, class: 'chat-link' },
      h(
        'span',
        { class: 'chat-avatars', 'aria-hidden': 'true' },
        chat.accounts.slice(0, 3).map((a) => h('img', { src: a.avatar, alt: '', class: 'avatar avatar-small' })),
      ),
      h(
        'span',
        { class: 'chat-summary' },
        h('span', { class: 'chat-title' }, chat.group ? `Group: ${title}` : title),
        h('span', { class: 'chat-preview' }, preview),
      ),
      h('time', { class: 'chat-time', datetime: chat.updated_at }, relativeTime(chat.updated_at)),
      chat.unread_count
        ? h('span', { class: 'badge chat-unread' }, `${chat.unread_count}`, h('span', { class: 'visually-hidden' }, ' unread'))
        : null,
    ),
  );
}

/** Picking people for a new chat: a search box, its results, and the people picked so far. */
function newChatPicker(ctx) {
  const picked = new Map(); // id -> account
  const input = h('input', { id: 'new-chat-search', class: 'input', type: 'search', autocomplete: 'off', placeholder: 'Name or @handle' });
  const results = h('ul', { class: 'picker-results', 'aria-label': 'People found' });
  const chosen = h('ul', { class: 'picker-chosen', 'aria-label': 'In the new chat' });
  const start = h('button', { type: 'submit', class: 'button button-primary', disabled: true }, 'Start chat');
  const form = h(
    'form',
    { class: 'new-chat', id: 'new-chat', hidden: true },
    h('label', { for: 'new-chat-search' }, 'Find people'),
    input,
    results,
    chosen,
    start,
  );

  const drawChosen = () => {
    replace(
      chosen,
      [...picked.values()].map((a) =>
        h(
          'li',
          {},
          h('span', {}, `@${a.acct}`),
          h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove @${a.acct}`, onclick: () => (picked.delete(a.id), drawChosen(), search()) }, '×'),
        ),
      ),
    );
    start.disabled = picked.size === 0;
    start.textContent = picked.size > 1 ? 'Start group chat' : 'Start chat';
  };

  const pick = (account) => {
    picked.set(account.id, account);
    drawChosen();
    // Ready for the next name.
    input.value = '';
    seq += 1;
    replace(results);
    input.focus();
  };

  let seq = 0;
  const search = async () => {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) {
      replace(results);
      return;
    }
    try {
      const found = await ctx.api.get('/api/v2/search', { q, type: 'accounts', resolve: 'false', limit: 8 });
      if (mine !== seq) return; // a later keystroke already asked again
      const others = found.accounts.filter((a) => a.id !== ctx.account.id && !picked.has(a.id));
      replace(
        results,
        others.length
          ? others.map((a) =>
              h(
                'li',
                {},
                h(
                  'button',
                  { type: 'button', class: 'picker-account', 'aria-label': `Add @${a.acct}`, onclick: () => pick(a) },
                  h('img', { src: a.avatar, alt: '', class: 'avatar avatar-small' }),
                  h('span', {}, a.display_name || a.username),
                  h('span', { class: 'muted' }, ` @${a.acct}`),
                ),
              ),
            )
          : h('li', { class: 'muted' }, 'Nobody found.'),
      );
    } catch (err) {
      if (mine === seq) replace(results, h('li', { role: 'alert' }, err.message));
    }
  };
  let timer = null;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!picked.size) return;
    start.disabled = true;
    try {
      const chat = await ctx.api.post('/api/v1/chats', { account_ids: [...picked.keys()] });
      ctx.navigate(`/chats/${chat.id}`);
    } catch (err) {
      ctx.toast(err.message, 'error');
      start.disabled = false;
    }
  });
  return form;
}

// ---------------------------------------------------------------- one chat

async function renderChat(main, ctx, id) {
  const me = ctx.account;
  const path = location.pathname;
  let chat;
  try {
    chat = await ctx.api.get(`/api/v1/chats/${id}`);
    if (location.pathname !== path) return null; // left while loading: the page is another view's
  } catch (err) {
    if (location.pathname !== path) return null;
    replace(
      main,
      h('h1', {}, 'Chat'),
      h('p', { role: 'alert' }, err.status === 404 ? 'There is no such chat, or you are not in it.' : err.message),
      h('p', {}, h('a', { href: '/chats' }, 'All chats')),
    );
    return null;
  }
  document.title = `Chat with ${names(chat.accounts)} · Starling`;

  const messages = new Map(); // id -> message
  const readBy = new Map(); // account id -> last message id they read
  const typingTimers = new Map(); // account id -> timeout
  const typingAccounts = new Map(); // account id -> account
  const presence = new Map(); // account id -> online
  let older = null; // the next page of older messages
  let pendingRead = null; // newest message not yet marked read because the page was hidden
  let lastTypingSent = 0;

  // How far the others have read (null: nothing yet, which marks nothing as seen).
  for (const r of chat.read_positions || []) {
    if (r.account_id !== me.id && r.last_read_id) readBy.set(r.account_id, r.last_read_id);
  }

  const heading = h('h1', { class: 'chat-heading' });
  const people = h('p', { class: 'chat-people' });
  const leave = chat.group ? h('button', { type: 'button', class: 'button button-danger', onclick: () => leaveChat() }, 'Leave chat') : null;
  const olderButton = h('button', { type: 'button', class: 'button load-more', hidden: true, onclick: () => loadOlder() }, 'Load older messages');
  const log = h('ol', { class: 'messages', role: 'log', 'aria-label': 'Messages', 'aria-live': 'polite', tabindex: '0' });
  const scroller = h('div', { class: 'messages-scroller' }, olderButton, log);
  const typing = h('div', { class: 'typing', role: 'status', 'aria-live': 'polite' });
  const box = h('textarea', { id: 'chat-message', class: 'input', name: 'content', rows: '1', autocomplete: 'off', required: true, maxlength: '5000' });
  const send = h('button', { type: 'submit', class: 'button button-primary' }, 'Send');
  const form = h(
    'form',
    { class: 'chat-form' },
    h('label', { for: 'chat-message', class: 'visually-hidden' }, 'Message'),
    box,
    send,
  );
  replace(
    main,
    h(
      'div',
      { class: 'view-pad chat-view' },
      h('div', { class: 'view-header chat-header' }, h('a', { href: '/chats', class: 'back-link' }, '‹ All chats'), heading, leave),
      people,
      scroller,
      typing,
      form,
    ),
  );

  function drawHeader() {
    heading.textContent = chat.group ? `Group: ${names(chat.accounts)}` : names(chat.accounts);
    replace(
      people,
      chat.accounts.map((a) => {
        const online = presence.get(a.id);
        return h(
          'a',
          { href: `/@${a.acct}`, class: 'chat-person' },
          h('img', { src: a.avatar, alt: '', class: 'avatar avatar-small' }),
          h('span', {}, a.display_name || a.username),
          online === undefined
            ? null
            : h('span', { class: `presence ${online ? 'online' : 'offline'}` }, online ? ' online' : ' offline'),
        );
      }),
    );
  }

  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const toBottom = () => (scroller.scrollTop = scroller.scrollHeight);

  function messageItem(m) {
    const own = m.account.id === me.id;
    const content = h('div', { class: 'message-content' }, sanitize(m.content || ''));
    if (!m.content && m.text) content.textContent = m.text;
    return h(
      'li',
      { class: `message${own ? ' own' : ''}`, dataset: { id: m.id } },
      // In a chat of two, who wrote what is plain from the side it is on.
      own || !chat.group ? null : h('a', { href: `/@${m.account.acct}`, class: 'message-author' }, `@${m.account.acct}`),
      content,
      (m.media_attachments || []).map((a) => h('img', { src: a.preview_url || a.url, alt: a.description || '', class: 'message-media' })),
      h('time', { datetime: m.created_at, class: 'message-time', title: new Date(m.created_at).toLocaleString() }, relativeTime(m.created_at)),
    );
  }

  function drawMessages() {
    const sorted = [...messages.values()].sort((a, b) => compareIds(a.id, b.id));
    replace(log, sorted.length ? sorted.map(messageItem) : h('li', { class: 'empty' }, 'No messages yet: say hello.'));
    drawSeen();
  }

  /** Adds messages; keeps the view at the bottom if it was there (or if it is one's own). */
  function add(list, { stick = nearBottom() } = {}) {
    let added = false;
    for (const m of list) {
      if (m.chat_id !== chat.id || messages.has(m.id)) continue;
      messages.set(m.id, m);
      added = true;
    }
    if (!added) return;
    drawMessages();
    if (stick) toBottom();
  }

  /** "Seen" under one's newest message that the others have read (in a group: by whom). */
  function drawSeen() {
    log.querySelector('.seen')?.remove();
    const own = [...messages.values()].filter((m) => m.account.id === me.id).sort((a, b) => compareIds(b.id, a.id));
    for (const m of own) {
      const readers = chat.accounts.filter((a) => readBy.has(a.id) && compareIds(readBy.get(a.id), m.id) >= 0);
      if (!readers.length) continue;
      const label = chat.group ? `Seen by ${readers.map((a) => `@${a.acct}`).join(', ')}` : 'Seen';
      log.querySelector(`li.message[data-id="${m.id}"]`)?.append(h('span', { class: 'seen' }, label));
      return;
    }
  }

  function drawTyping() {
    replace(
      typing,
      [...typingAccounts.values()].map((a) => h('span', { class: 'typing-line' }, `@${a.acct} is typing…`)),
    );
  }

  function stopTyping(accountId) {
    clearTimeout(typingTimers.get(accountId));
    typingTimers.delete(accountId);
    if (typingAccounts.delete(accountId)) drawTyping();
  }

  async function markRead() {
    const newest = [...messages.keys()].sort(compareIds).pop();
    if (!newest || (chat.last_read_id && compareIds(chat.last_read_id, newest) >= 0)) return;
    // Only what a person can actually see counts as read.
    if (document.visibilityState !== 'visible') {
      pendingRead = newest;
      return;
    }
    pendingRead = null;
    chat.last_read_id = newest;
    try {
      await ctx.api.post(`/api/v1/chats/${chat.id}/read`, { last_read_id: newest });
    } catch (err) {
      console.warn('marking the chat read failed', err);
    }
  }

  async function loadOlder() {
    olderButton.disabled = true;
    const before = scroller.scrollHeight;
    try {
      const page = await ctx.api.page(older);
      older = page.next && page.items.length ? page.next : null;
      add(page.items, { stick: false });
      // Keep the message that was at the top where it was.
      scroller.scrollTop += scroller.scrollHeight - before;
    } catch (err) {
      ctx.toast(err.message, 'error');
    }
    olderButton.hidden = !older;
    olderButton.disabled = false;
  }

  async function sendMessage(e) {
    e.preventDefault();
    const content = box.value.trim();
    if (!content) return;
    send.disabled = true;
    // The same key for retries of this message: the server then keeps one copy.
    const key = form.dataset.key || (form.dataset.key = crypto.randomUUID());
    try {
      const m = await ctx.api.post(`/api/v1/chats/${chat.id}/messages`, { content }, { 'Idempotency-Key': key });
      delete form.dataset.key;
      box.value = '';
      lastTypingSent = 0;
      add([m], { stick: true });
      chat.last_read_id = m.id; // one's own message is read
    } catch (err) {
      ctx.toast(`Not sent: ${err.message}`, 'error');
    }
    send.disabled = false;
    box.focus();
  }

  function onInput() {
    delete form.dataset.key; // different words: a different message
    const now = Date.now();
    if (!box.value.trim() || now - lastTypingSent < TYPING_EVERY_MS) return;
    lastTypingSent = now;
    ctx.api.post(`/api/v1/chats/${chat.id}/typing`).catch(() => {});
  }

  async function leaveChat() {
    const sure = await confirmDialog({
      title: 'Leave this chat?',
      message: 'You will no longer see its messages.',
      confirmLabel: 'Leave',
      danger: true,
    });
    if (!sure) return;
    try {
      await ctx.api.post(`/api/v1/chats/${chat.id}/leave`);
      ctx.toast('You left the chat.');
      ctx.navigate('/chats');
    } catch (err) {
      ctx.toast(err.message, 'error');
    }
  }

  form.addEventListener('submit', sendMessage);
  box.addEventListener('input', onInput);
  box.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter starts a new line (as in most chat apps).
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  const onVisible = () => {
    if (document.visibilityState === 'visible' && pendingRead) markRead();
  };
  document.addEventListener('visibilitychange', onVisible);

  const offs = [];
  if (ctx.stream) {
    const here = (p) => p && p.chat_id === chat.id;
    offs.push(
      ctx.stream.on('chat.message', (m) => {
        if (!here(m)) return;
        stopTyping(m.account.id);
        add([m], { stick: m.account.id === me.id || nearBottom() });
        if (m.account.id !== me.id) markRead();
      }),
      ctx.stream.on('chat.typing', (p) => {
        if (!here(p) || p.account.id === me.id) return;
        clearTimeout(typingTimers.get(p.account.id));
        typingAccounts.set(p.account.id, p.account);
        typingTimers.set(p.account.id, setTimeout(() => stopTyping(p.account.id), TYPING_SHOWN_MS));
        drawTyping();
      }),
      ctx.stream.on('chat.read', (p) => {
        if (!here(p)) return;
        if (p.account_id === me.id) {
          chat.last_read_id = p.last_read_id; // read in another tab
          return;
        }
        const known = readBy.get(p.account_id);
        if (!known || compareIds(p.last_read_id, known) > 0) readBy.set(p.account_id, p.last_read_id);
        drawSeen();
      }),
      ctx.stream.on('chat.presence', (p) => {
        if (!chat.accounts.some((a) => a.id === p.account_id)) return;
        presence.set(p.account_id, p.online);
        drawHeader();
      }),
      ctx.stream.on('chat.left', (p) => {
        if (!here(p)) return;
        if (p.account_id === me.id) {
          ctx.navigate('/chats');
          return;
        }
        const gone = chat.accounts.find((a) => a.id === p.account_id);
        chat.accounts = chat.accounts.filter((a) => a.id !== p.account_id);
        drawHeader();
        if (gone) ctx.toast(`@${gone.acct} left the chat.`);
      }),
    );
  }

  drawHeader();
  replace(log, h('li', { class: 'loading' }, 'Loading…'));
  try {
    const page = await ctx.api.list(`/api/v1/chats/${chat.id}/messages`, { limit: 40 });
    older = page.next && page.items.length === 40 ? page.next : null;
    olderButton.hidden = !older;
    add(page.items, { stick: true });
    if (!page.items.length) drawMessages();
    markRead();
  } catch (err) {
    replace(log, h('li', { role: 'alert' }, err.message));
  }
  const cleanup = () => {
    offs.forEach((off) => off());
    typingTimers.forEach((t) => clearTimeout(t));
    document.removeEventListener('visibilitychange', onVisible);
  };
  // Left while the messages were loading: the shell has moved on without this cleanup.
  if (!log.isConnected) {
    cleanup();
    return null;
  }
  box.focus();
  return cleanup;
}
