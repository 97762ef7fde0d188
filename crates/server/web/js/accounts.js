// Who is signed in: several accounts at once, one of them current, kept in localStorage so
// that reloads and new tabs stay signed in. Signing in is OAuth 2's authorization-code flow with
// PKCE against this same server; signing up uses an app token to create the account, which
// answers with the new user's token.

import { Api } from './api.js';

const ACCOUNTS = 'starling.accounts';
const CURRENT = 'starling.current';
const APP = 'starling.app';
const PENDING = 'starling.pending-sign-in';
export const SCOPES = 'read write follow';

const listeners = new Set();

/** [{id, username, acct, display_name, avatar, token}] */
export function accounts() {
  try {
    return JSON.parse(localStorage.getItem(ACCOUNTS)) || [];
  } catch {
    return [];
  }
}

function save(list) {
  localStorage.setItem(ACCOUNTS, JSON.stringify(list));
  listeners.forEach((fn) => fn(current()));
}

/** The current account, or null when nobody is signed in. */
export function current() {
  const list = accounts();
  const id = localStorage.getItem(CURRENT);
  return list.find((a) => a.id === id) || list[0] || null;
}

/** Calls fn(account) whenever the current account or the list changes. */
export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function switchTo(id) {
  localStorage.setItem(CURRENT, id);
  listeners.forEach((fn) => fn(current()));
}

/** An Api for the current account (anonymous when nobody is signed in). */
export function api() {
  return new Api(current()?.token || null);
}

/** Adds (or refreshes) an account from its token, and makes it current. */
export async function addWithToken(token) {
  const me = await new Api(token).get('/api/v1/accounts/verify_credentials');
  const entry = {
    id: me.id,
    username: me.username,
    acct: me.acct,
    display_name: me.display_name,
    avatar: me.avatar,
    token,
  };
  save([...accounts().filter((a) => a.id !== me.id), entry]);
  switchTo(me.id);
  return entry;
}

function redirectUri() {
  return `${location.origin}/callback`;
}

/** This browser's registration of the web client as an OAuth app (made once, then kept). */
async function app() {
  const known = JSON.parse(localStorage.getItem(APP) || 'null');
  if (known && known.redirect_uri === redirectUri()) return known;
  const created = await new Api().post('/api/v1/apps', {
    client_name: 'Starling web',
    redirect_uris: redirectUri(),
    scopes: SCOPES,
    website: location.origin,
  });
  const kept = { client_id: created.client_id, client_secret: created.client_secret, redirect_uri: redirectUri() };
  localStorage.setItem(APP, JSON.stringify(kept));
  return kept;
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Starts signing in: leaves for the server's authorization page, which comes back to /callback. */
export async function beginSignIn() {
  const { client_id, redirect_uri } = await app();
  const verifier = randomString(48);
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = randomString(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const params = new URLSearchParams({
    response_type: 'code',
    client_id,
    redirect_uri,
    scope: SCOPES,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`/oauth/authorize?${params}`);
}

/** Finishes signing in on /callback: trades the code for a token. Returns the account. */
export async function completeSignIn(search = location.search) {
  const params = new URLSearchParams(search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  if (params.get('error')) throw new Error(params.get('error_description') || params.get('error'));
  if (!pending || params.get('state') !== pending.state) throw new Error('This sign-in was not started here; try again.');
  const { client_id, client_secret, redirect_uri } = await app();
  const token = await new Api().post('/oauth/token', {
    grant_type: 'authorization_code',
    code: params.get('code'),
    client_id,
    client_secret,
    redirect_uri,
    code_verifier: pending.verifier,
    scope: SCOPES,
  });
  return addWithToken(token.access_token);
}

/** Creates an account and signs it in. */
export async function signUp({ username, email, password, locale = navigator.language || 'en' }) {
  const { client_id, client_secret } = await app();
  const appToken = await new Api().post('/oauth/token', {
    grant_type: 'client_credentials',
    client_id,
    client_secret,
    scope: SCOPES,
  });
  const created = await new Api(appToken.access_token).post('/api/v1/accounts', {
    username,
    email,
    password,
    agreement: true,
    locale: locale.split('-')[0],
  });
  return addWithToken(created.access_token);
}

/** Signs an account out: revokes its token and forgets it here. */
export async function signOut(id = current()?.id) {
  const account = accounts().find((a) => a.id === id);
  if (!account) return;
  const known = JSON.parse(localStorage.getItem(APP) || 'null');
  if (known) {
    try {
      await new Api().post('/oauth/revoke', {
        client_id: known.client_id,
        client_secret: known.client_secret,
        token: account.token,
      });
    } catch {
      // Forgetting the token here is what matters; a server that cannot be reached forgets it
      // when it expires.
    }
  }
  const rest = accounts().filter((a) => a.id !== id);
  if (localStorage.getItem(CURRENT) === id) localStorage.setItem(CURRENT, rest[0]?.id || '');
  save(rest);
}
