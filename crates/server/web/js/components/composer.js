// The composer: writing a new post, a reply, a quote, or editing one's own post. It counts
// characters the way the server does (links as 23, the content warning included), uploads
// images as soon as they are picked so that a slow upload overlaps with writing their
// descriptions, and sends an Idempotency-Key so that a retry after a network failure cannot
// post twice.
//
// Created statuses are announced as a `starling:posted` event on `document` (detail: the
// status) so that whichever view is open can show them without knowing who posted them.

import { h, replace } from '../dom.js';
import { errorMessage, icon, openDialog, quotePreview, uniqueId } from './ui.js';

const DEFAULTS = { max_characters: 500, max_media_attachments: 4, characters_reserved_per_url: 23 };
let config = null;

/** The instance's status limits, fetched once. */
function statusLimits(ctx) {
  config ||= ctx.api
    .get('/api/v2/instance')
    .then((i) => ({ ...DEFAULTS, ...(i?.configuration?.statuses || {}) }))
    .catch(() => {
      config = null; // try again next time
      return DEFAULTS;
    });
  return config;
}

const LINK = /https?:\/\/[^\s<>"`{}|\\^]+/gi;

/** The URL the server would find at the start of `match`: trailing punctuation trimmed. */
function trimLink(url) {
  let end = url.length;
  const scheme = url.toLowerCase().startsWith('https://') ? 8 : 7;
  while (end > scheme) {
    const last = url[end - 1];
    const head = url.slice(0, end);
    const unbalanced = (open, close) => head.split(open).length < head.split(close).length;
    if ('.,:;!?\'*'.includes(last) || (last === ')' && unbalanced('(', ')')) || (last === ']' && unbalanced('[', ']'))) end -= 1;
    else break;
  }
  const host = url.slice(scheme, end).split(/[/?#]/)[0];
  return host && !host.startsWith('.') && !host.startsWith(':') ? url.slice(0, end) : null;
}

/** Length as the server counts it: code points, every link as `urlWeight`. */
export function weightedLength(text, urlWeight = 23) {
  let length = [...text].length;
  for (const [match] of text.matchAll(LINK)) {
    const url = trimLink(match);
    if (url) length += urlWeight - [...url].length;
  }
  return length;
}

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

const VISIBILITIES = [
  ['public', 'Public'],
  ['unlisted', 'Unlisted'],
  ['private', 'Followers only'],
  ['direct', 'Mentioned only'],
];
const OPENNESS = ['public', 'unlisted', 'private', 'direct'];

/** The mentions a reply starts with: the author, then everyone they mentioned, never oneself. */
function replyMentions(ctx, status) {
  const me = ctx.account?.acct;
  const accts = [status.account.acct, ...(status.mentions || []).map((m) => m.acct)];
  const unique = [...new Set(accts)].filter((acct) => acct !== me);
  return unique.length ? `${unique.map((a) => `@${a}`).join(' ')} ` : '';
}

/** The dialog's title and the form's legend. */
function composerTitle({ replyTo, edit, quote }) {
  if (edit) return 'Edit post';
  if (replyTo) return `Reply to @${replyTo.account.acct}`;
  return quote ? 'Quote post' : 'New post';
}

/**
 * A composer form. Options: `replyTo` (a status), `quote` (a status to quote: shown above the
 * text, sent as `quoted_status_id`), `edit` (one's own status), `onDone(status)` after a
 * successful post or save, `onCancel` (shows a Cancel button), `autofocus`.
 */
export function composer(ctx, { replyTo = null, quote = null, edit = null, onDone, onCancel, autofocus = false } = {}) {
  if (edit) quote = null;
  // An edit keeps what the post quotes (the edit cannot change it): shown, not sent.
  const quoted = quote || (edit?.quote?.state === 'accepted' && edit.quote.quoted_status?.account ? edit.quote.quoted_status : null);
  let idempotencyKey = newKey();
  let limits = DEFAULTS;
  const attachments = []; // {file, url, item, description, media (once uploaded), upload (promise)}

  const textId = uniqueId('composer-text');
  const text = h('textarea', {
    id: textId,
    class: 'composer-text',
    rows: '3',
    placeholder: replyTo ? 'Write your reply' : quote ? 'Add your thoughts' : 'What’s happening?',
  });
  const cwText = h('input', {
    type: 'text',
    class: 'composer-cw',
    'aria-label': 'Content warning text',
    placeholder: 'Content warning',
    hidden: true,
  });
  const cwToggle = h(
    'button',
    { type: 'button', class: 'icon-button composer-cw-toggle', 'aria-pressed': 'false', 'aria-label': 'Content warning' },
    icon('warning'),
  );
  const visibilityId = uniqueId('visibility');
  const visibility = h(
    'select',
    { id: visibilityId, class: 'composer-visibility' },
    VISIBILITIES.map(([value, label]) => h('option', { value }, label)),
  );
  const fileInput = h('input', {
    type: 'file',
    class: 'visually-hidden',
    accept: 'image/png,image/jpeg,image/gif,image/webp',
    multiple: true,
  });
  const addImages = h('label', { class: 'icon-button composer-add-images', title: 'Add images' }, icon('image'), h('span', { class: 'visually-hidden' }, 'Add images'), fileInput);
  const counter = h('output', { class: 'composer-counter', 'aria-label': 'Characters left', 'aria-live': 'off', for: textId });
  const submit = h('button', { type: 'submit', class: 'button button-primary composer-submit' }, edit ? 'Save' : 'Post');
  const mediaList = h('ul', { class: 'composer-media', hidden: true });
  const errors = h('div', { class: 'composer-errors' });
  const fieldset = h('fieldset', { class: 'composer-fieldset' });
  const quoteLabelId = uniqueId('composer-quoting');
  // Quoting a followers-only post: the server keeps the quote followers-only (direct stays direct).
  const quotePrivate = quote?.visibility === 'private';
  const quoteNoteId = uniqueId('composer-quote-note');

  const form = h('form', { class: 'composer', novalidate: true }, fieldset);
  replace(
    fieldset,
    h('legend', { class: 'visually-hidden' }, composerTitle({ replyTo, edit, quote })),
    replyTo
      ? h('p', { class: 'composer-context' }, 'Replying to ', h('a', { href: `/@${replyTo.account.acct}/${replyTo.id}` }, `@${replyTo.account.acct}`))
      : null,
    quoted
      ? h(
          'div',
          { class: 'composer-quote-context' },
          h('p', { class: 'composer-context', id: quoteLabelId }, `Quoting @${quoted.account.acct}`),
          quotePreview(quoted, { labelledBy: quoteLabelId }),
          quotePrivate ? h('p', { class: 'composer-note', id: quoteNoteId }, 'Quotes of followers-only posts stay followers-only.') : null,
        )
      : null,
    cwText,
    h('label', { for: textId, class: 'visually-hidden' }, 'Post text'),
    text,
    mediaList,
    edit?.media_attachments?.length ? existingMedia(edit.media_attachments) : null,
    errors,
    h(
      'div',
      { class: 'composer-toolbar' },
      edit ? null : addImages,
      cwToggle,
      h('label', { for: visibilityId, class: 'visually-hidden' }, 'Visibility'),
      visibility,
      h('span', { class: 'composer-spacer' }),
      counter,
      onCancel ? h('button', { type: 'button', class: 'button', onclick: onCancel }, 'Cancel') : null,
      submit,
    ),
  );

  function setCw(on) {
    cwToggle.setAttribute('aria-pressed', String(on));
    cwText.hidden = !on;
    if (on) cwText.focus();
    update();
  }

  function remaining() {
    const cw = cwText.hidden ? '' : cwText.value;
    return limits.max_characters - weightedLength(text.value, limits.characters_reserved_per_url) - [...cw].length;
  }

  function drop(entry) {
    const at = attachments.indexOf(entry);
    if (at >= 0) attachments.splice(at, 1);
  }

  function uploading() {
    return attachments.some((a) => !a.media);
  }

  /** Refreshes the counter and whether the form can be sent. */
  function update() {
    const left = remaining();
    counter.value = String(left);
    counter.textContent = String(left);
    counter.classList.toggle('composer-counter-over', left < 0);
    counter.classList.toggle('composer-counter-near', left >= 0 && left < 20);
    const empty = !text.value.trim() && !attachments.length && !edit?.media_attachments?.length;
    submit.disabled = left < 0 || empty || uploading();
    addImages.classList.toggle('disabled', attachments.length >= limits.max_media_attachments);
    fileInput.disabled = attachments.length >= limits.max_media_attachments;
    mediaList.hidden = !attachments.length;
  }

  function grow() {
    // Auto-height: the box grows with its text instead of scrolling inside a small window.
    text.style.height = 'auto';
    text.style.height = `${text.scrollHeight + 2}px`;
  }

  function showError(message) {
    replace(errors, message ? errorMessage(message) : null);
  }

  function addFiles(files) {
    showError(null);
    const room = limits.max_media_attachments - attachments.length;
    if (files.length > room) showError(`You can attach up to ${limits.max_media_attachments} images.`);
    files.slice(0, Math.max(0, room)).forEach(addAttachment);
    update();
  }

  function addAttachment(file) {
    const url = URL.createObjectURL(file);
    const n = attachments.length + 1;
    const description = h('textarea', { class: 'composer-media-description', rows: '2', 'aria-label': 'Image description', placeholder: 'Describe this image for people who cannot see it' });
    const state = h('span', { class: 'composer-media-state' }, 'Uploading…');
    const entry = { file, url, description };
    const remove = h(
      'button',
      {
        type: 'button',
        class: 'icon-button composer-media-remove',
        'aria-label': `Remove image ${n}`,
        onclick: () => {
          drop(entry);
          entry.item.remove();
          URL.revokeObjectURL(url);
          update();
          text.focus();
        },
      },
      icon('close'),
    );
    entry.item = h(
      'li',
      { class: 'composer-media-item' },
      h('img', { src: url, alt: '', class: 'composer-media-thumb' }),
      h('div', { class: 'composer-media-fields' }, description, state),
      remove,
    );
    attachments.push(entry);
    mediaList.append(entry.item);
    entry.upload = ctx.api
      .upload('/api/v2/media', { file })
      .then((media) => {
        entry.media = media;
        state.textContent = '';
      })
      .catch((err) => {
        state.textContent = `Upload failed: ${err.message}`;
        state.classList.add('error-text');
        drop(entry);
        entry.item.classList.add('composer-media-failed');
        setTimeout(() => entry.item.remove(), 4000);
      })
      .finally(update);
  }

  /** Sends descriptions typed after the upload (the upload itself went before any was typed). */
  async function saveDescriptions() {
    await Promise.all(
      attachments.map((a) => {
        const wanted = a.description.value.trim();
        if (!a.media || wanted === (a.media.description || '')) return null;
        return ctx.api.put(`/api/v1/media/${a.media.id}`, { description: wanted });
      }),
    );
  }

  function body() {
    const cw = cwText.hidden ? '' : cwText.value.trim();
    return { status: text.value, spoiler_text: cw, sensitive: Boolean(cw) };
  }

  async function send() {
    if (edit) return ctx.api.put(`/api/v1/statuses/${edit.id}`, body());
    await Promise.all(attachments.map((a) => a.upload));
    await saveDescriptions();
    const payload = {
      ...body(),
      visibility: visibility.value,
      media_ids: attachments.filter((a) => a.media).map((a) => a.media.id),
    };
    if (replyTo) payload.in_reply_to_id = replyTo.id;
    if (quote) payload.quoted_status_id = String(quote.id);
    return ctx.api.post('/api/v1/statuses', payload, { 'Idempotency-Key': idempotencyKey });
  }

  function reset() {
    text.value = replyTo ? replyMentions(ctx, replyTo) : '';
    cwText.value = '';
    setCw(false);
    attachments.splice(0).forEach((a) => URL.revokeObjectURL(a.url));
    replace(mediaList);
    idempotencyKey = newKey();
    grow();
    update();
  }

  async function onSubmit(e) {
    e.preventDefault();
    if (submit.disabled || fieldset.disabled) return;
    showError(null);
    fieldset.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const status = await send();
      ctx.toast(edit ? 'Saved' : 'Posted');
      if (!edit) {
        document.dispatchEvent(new CustomEvent('starling:posted', { detail: status }));
        reset();
      }
      onDone?.(status);
    } catch (err) {
      showError(err.message);
    } finally {
      fieldset.disabled = false;
      form.removeAttribute('aria-busy');
      update();
      if (form.isConnected && !edit) text.focus();
    }
  }

  form.addEventListener('submit', onSubmit);
  text.addEventListener('input', () => {
    grow();
    update();
  });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });
  cwText.addEventListener('input', update);
  cwToggle.addEventListener('click', () => setCw(cwText.hidden));
  fileInput.addEventListener('change', () => {
    addFiles([...fileInput.files]);
    fileInput.value = '';
  });
  // Images pasted or dropped into the text box are attached like picked ones.
  text.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files || [])].filter((f) => f.type.startsWith('image/'));
    if (files.length && !edit) {
      e.preventDefault();
      addFiles(files);
    }
  });

  if (replyTo) {
    text.value = replyMentions(ctx, replyTo);
    // A reply is never more public than what it answers.
    const parent = OPENNESS.indexOf(replyTo.visibility);
    visibility.value = OPENNESS[Math.max(0, parent)];
  }
  if (quotePrivate) {
    // The quote will be followers-only whatever is picked, so nothing more open is offered.
    const least = OPENNESS.indexOf('private');
    if (OPENNESS.indexOf(visibility.value) < least) visibility.value = 'private';
    for (const option of visibility.options) option.disabled = OPENNESS.indexOf(option.value) < least;
    visibility.setAttribute('aria-describedby', quoteNoteId);
  }
  if (edit) {
    visibility.value = edit.visibility || 'public';
    visibility.disabled = true; // the API cannot change the visibility of a posted status
    fieldset.disabled = true;
    ctx.api
      .get(`/api/v1/statuses/${edit.id}/source`)
      .then((source) => {
        text.value = source.text || '';
        cwText.value = source.spoiler_text || '';
        if (cwText.value) setCw(true);
      })
      .catch((err) => showError(err.message))
      .finally(() => {
        fieldset.disabled = false;
        grow();
        update();
        if (autofocus) focusText();
      });
  }

  function focusText() {
    text.focus();
    text.setSelectionRange(text.value.length, text.value.length);
  }

  update();
  statusLimits(ctx).then((l) => {
    limits = l;
    update();
  });
  if (autofocus && !edit) queueMicrotask(focusText);
  form.focusText = focusText;
  return form;
}

function existingMedia(media) {
  return h(
    'ul',
    { class: 'composer-media composer-media-existing', 'aria-label': 'Attached images (cannot be changed when editing)' },
    media.map((m) => h('li', { class: 'composer-media-item' }, h('img', { src: m.preview_url, alt: m.description || '', class: 'composer-media-thumb' }))),
  );
}

/**
 * The composer in a dialog: for replies, quotes and edits from a status card, or a new post
 * from anywhere. Closes itself when done; `onDone(status)` runs after.
 */
export function openComposer(ctx, { replyTo = null, quote = null, edit = null, onDone } = {}) {
  const title = composerTitle({ replyTo, edit, quote });
  let dialog;
  const form = composer(ctx, {
    replyTo,
    quote,
    edit,
    autofocus: true,
    onCancel: () => dialog.close(),
    onDone: (status) => {
      dialog.close();
      onDone?.(status);
    },
  });
  const parked = parkComposers();
  dialog = openDialog({ title, body: form, className: 'dialog-composer', onClose: () => parked.forEach((unpark) => unpark()) });
  form.focusText();
  return dialog;
}

/**
 * Takes the page's other composers out of the document while a dialog composer is open, and
 * returns how to put each back. A modal makes them inert, but they would still be found by
 * their label ("Post text"), and a person (or a test) typing into "the composer" must reach
 * the one in the dialog. Their drafts are kept: the same elements go back where they were.
 */
function parkComposers() {
  return [...document.querySelectorAll('form.composer')].map((form) => {
    const marker = document.createComment('composer parked while a dialog is open');
    form.replaceWith(marker);
    return () => marker.replaceWith(form);
  });
}
