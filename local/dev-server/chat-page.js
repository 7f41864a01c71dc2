// The local chat page: the seed's Slack clone on durable channels, over the native or the GRIP transport, through
// the client library (faas-grip-cdk/client, served as client.mjs). A page opened later shows the channel's recent
// history; a page whose connection drops shows "reconnecting" and, once back, everything it missed, once each and in
// order. Every string that comes from a user or the network is rendered with textContent, never as HTML.
import { ChannelClient } from './client.mjs';

const DEFAULT_CHANNEL = 'room';
const HISTORY_ON_JOIN = 50;

const $ = (id) => document.getElementById(id);
const view = {
  transport: $('transport'),
  status: $('status'),
  nick: $('nick'),
  channel: $('channel'),
  channels: $('channels'),
  online: $('online'),
  presenceNews: $('presence-news'),
  messages: $('messages'),
  message: $('message'),
  send: $('send'),
  endpoint: $('endpoint'),
  hint: $('hint'),
  signIn: $('sign-in'),
  signInName: $('sign-in-name'),
  user: $('user'),
  signOut: $('sign-out'),
};

const state = {
  config: undefined,
  transport: undefined,
  client: undefined,
  nick: '', // confirmed by the server ("nickname set to [...]")
  channel: DEFAULT_CHANNEL, // confirmed by the server ("joined [...]")
  subscribed: undefined, // the channel whose messages this page follows
  durable: true, // false when the server keeps no history: its plain broadcasts are shown instead
  asked: { nick: undefined, channel: undefined }, // the last /nick and /join sent
  shown: new Map(), // channel -> offsets already on the page (a channel's lines appear once each)
  online: new Map(), // connection id -> member, of the followed channel
};

// The followed channel's members: "nick (transport)", one entry per connection.
function renderOnline() {
  const items = [...state.online.values()]
    .map((m) => `${shown(m.info?.nick ?? m.user)} (${m.transport})`)
    .sort()
    .map((text) => {
      const item = document.createElement('li');
      item.textContent = text;
      return item;
    });
  view.online.replaceChildren(...items);
}

async function loadOnline(channel) {
  try {
    const page = await state.client.presence(channel, { limit: 1000 });
    if (channel !== state.subscribed) return;
    state.online = new Map(page.members.map((m) => [m.connectionId, m]));
    renderOnline();
  } catch {
    // No presence here (or the connection dropped): the list stays as it is.
  }
}

// Events may arrive out of order (API Gateway promises none) and race the list answer: each is applied at once,
// a leave only to the entry it names, and the list is read again shortly after, which settles any race.
function onPresence(event) {
  if (event.channel !== state.subscribed) return;
  const name = event.member.info?.nick ?? event.member.user;
  const id = event.member.connectionId;
  if (event.type === 'join') state.online.set(id, event.member);
  else if (state.online.get(id)?.user === event.member.user) state.online.delete(id);
  renderOnline();
  view.presenceNews.textContent = `${shown(name)} ${event.type === 'join' ? 'joined' : 'left'} [${event.channel}]`;
  clearTimeout(state.onlineReload);
  state.onlineReload = setTimeout(() => void loadOnline(event.channel), 300);
}

function setStatus(kind, text) {
  view.status.dataset.state = kind;
  view.status.textContent = text;
  view.send.disabled = kind !== 'open';
}

// Bidirectional controls reorder the text around them; they are shown as [U+XXXX] instead of obeyed.
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const shown = (text) => text.replace(BIDI_CONTROLS, (c) => `[U+${c.codePointAt(0).toString(16).toUpperCase()}]`);

// Every line is one of three kinds, each its own element shape, so no text can pass for another kind:
// - system: the server's answers to this page and this page's notices (li.system, marked by the style sheet);
// - message: "<nick>: <text>" (li.message, the nick in its own isolated <bdi class="nick">; nicks cannot hold ':');
// - other: anything else a handler sends (li.other).
function addLine(text, system, offset) {
  const item = document.createElement('li');
  const split = text.indexOf(': ');
  if (offset !== undefined) item.dataset.offset = String(offset);
  if (system) {
    item.className = 'system';
    item.textContent = shown(text);
  } else if (split > 0) {
    item.className = 'message';
    const nick = document.createElement('bdi');
    nick.className = 'nick';
    nick.textContent = shown(text.slice(0, split));
    const body = document.createElement('bdi');
    body.className = 'text';
    body.textContent = shown(text.slice(split + 2));
    item.append(nick, document.createTextNode(': '), body);
  } else {
    item.className = 'other';
    item.textContent = shown(text);
  }
  view.messages.append(item);
  view.messages.scrollTop = view.messages.scrollHeight;
}

function showChannels(text) {
  view.channels.replaceChildren();
  for (const name of text.slice('channels: '.length).split(', ')) {
    if (name === 'none') continue;
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = name;
    button.addEventListener('click', () => send(`/join ${name}`));
    item.append(button);
    view.channels.append(item);
  }
}

// Follows `channel`'s messages: its recent history first, then live, resumed across reconnects by the client.
function follow(channel) {
  if (!state.durable || state.subscribed === channel) return;
  if (state.subscribed !== undefined) state.client.unsubscribe(state.subscribed);
  state.subscribed = channel;
  state.online = new Map();
  renderOnline();
  state.client.subscribe(channel, { recent: HISTORY_ON_JOIN });
}

// Only the answers to what this page asked for change its state, so another user's message cannot.
function onServerText(text) {
  const nick = state.asked.nick !== undefined && text === `nickname set to [${state.asked.nick}]`;
  const joined = state.asked.channel !== undefined && text === `joined [${state.asked.channel}]`;
  const channels = text.startsWith('channels: ');
  if (nick) {
    state.nick = state.asked.nick;
    view.nick.value = state.nick;
  } else if (joined) {
    state.channel = state.asked.channel;
    view.channel.value = state.channel;
    follow(state.channel);
  } else if (channels) {
    showChannels(text);
    return;
  } else if (state.asked.channel !== undefined && text.startsWith(`error: [${state.asked.channel}] is private`)) {
    // Refused: the page stays in its channel.
    view.channel.value = state.channel;
    state.asked.channel = undefined;
  } else if (state.durable && !text.startsWith('error: ')) {
    // A plain broadcast from before the page followed the channel: its message comes through the channel.
    return;
  }
  addLine(text, nick || joined || text.startsWith('error: '));
}

function onMessage(message) {
  if (message.channel !== state.subscribed || typeof message.data !== 'string') return;
  const seen = state.shown.get(message.channel) ?? new Set();
  state.shown.set(message.channel, seen);
  if (seen.has(`${message.epoch}:${message.offset}`)) return;
  seen.add(`${message.epoch}:${message.offset}`);
  addLine(message.data, false, message.offset);
}

function send(text) {
  if (state.client?.state !== 'open') return false;
  if (text.startsWith('/nick ')) state.asked.nick = text.slice('/nick '.length);
  if (text.startsWith('/join ')) state.asked.channel = text.slice('/join '.length);
  state.client.send(text);
  return true;
}

// Sign-in, when the server asks for it: the authorization-code flow with PKCE at the development identity
// provider (config.auth), the ID token kept for this tab (sessionStorage) and given to the client, which offers it
// in the subprotocol list on every connect.
const TOKEN_KEY = 'faas-grip-chat.token';
const FLOW_KEY = 'faas-grip-chat.sign-in';
const base64url = (bytes) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch {
    return {};
  }
}

function storedToken() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token && (claimsOf(token).exp ?? 0) * 1000 > Date.now() + 5000 ? token : undefined;
}

async function signIn(name) {
  const auth = state.config.auth;
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const redirect = location.origin + location.pathname;
  sessionStorage.setItem(FLOW_KEY, JSON.stringify({ verifier, state: nonce, redirect, search: location.search }));
  const url = new URL(auth.authorizationEndpoint);
  url.search = new URLSearchParams({
    client_id: auth.clientId,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: redirect,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
    login_hint: name,
    prompt: 'login', // whoever is typed signs in, even where another name signed in before in this browser
    state: nonce,
  }).toString();
  location.assign(url.toString());
}

// Back from the identity provider with a code: exchange it for the ID token, then restore the page's URL.
async function finishSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return;
  const flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) ?? 'null');
  sessionStorage.removeItem(FLOW_KEY);
  history.replaceState(null, '', location.pathname + (flow?.search ?? ''));
  if (params.has('error')) throw new Error(params.get('error_description') || params.get('error'));
  if (!flow || flow.state !== params.get('state')) throw new Error("the sign-in answer is not for this page's request");
  const auth = state.config.auth;
  const response = await fetch(auth.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code'),
      redirect_uri: flow.redirect,
      client_id: auth.clientId,
      code_verifier: flow.verifier,
    }),
  });
  const body = await response.json();
  if (!body.id_token) throw new Error(body.error_description || 'the identity provider gave no ID token');
  sessionStorage.setItem(TOKEN_KEY, body.id_token);
}

function showSignedIn(token) {
  const claims = claimsOf(token);
  view.user.hidden = false;
  view.user.textContent = `signed in as ${shown(String(claims.name ?? claims.sub))}`;
  view.signOut.hidden = false;
  view.nick.disabled = true;
  view.nick.placeholder = 'from your sign-in';
  $('nick-set').disabled = true;
  const locked = Object.entries(state.config.auth.privateChannels ?? {}).map(
    ([c, users]) => `${c} (${users.join(', ')})`,
  );
  if (locked.length) view.hint.textContent = `private: ${locked.join('; ')}`;
}

function connect() {
  const url = state.config.transports[state.transport];
  view.endpoint.textContent = url;
  setStatus('connecting', `connecting (${state.transport})`);
  const signedIn = state.config.auth
    ? {
        token: () => {
          const token = storedToken();
          if (token) return token;
          sessionStorage.removeItem(TOKEN_KEY);
          location.reload(); // the sign-in form again
          throw new Error('signed out: the token expired');
        },
      }
    : {};
  const client = new ChannelClient(url, { heartbeatMs: state.config.heartbeat.intervalMs, ...signedIn });
  state.client = client;
  state.subscribed = undefined;
  client.on('state', (now) => {
    if (state.client !== client) return;
    if (now === 'open') {
      setStatus('open', `connected (${state.transport})`);
      // restore what the server forgot with the old connection
      if (state.nick) send(`/nick ${state.nick}`);
      if (state.channel !== DEFAULT_CHANNEL) send(`/join ${state.channel}`);
      send('/channels');
    } else if (now === 'reconnecting') {
      setStatus('waiting', 'reconnecting');
    } else if (now === 'connecting') {
      setStatus('connecting', `connecting (${state.transport})`);
    }
  });
  client.on('message', onMessage);
  client.on('presence', (event) => {
    if (state.client === client) onPresence(event);
  });
  client.on('subscribed', (s) => {
    if (state.client === client && s.channel === state.subscribed) void loadOnline(s.channel);
  });
  client.on('raw', (data) => {
    if (state.client === client && typeof data === 'string') onServerText(data);
  });
  client.on('notRecovered', (r) => {
    if (r.channel === state.subscribed) addLine(`some messages of [${r.channel}] could not be recovered`, true);
  });
  client.on('error', (error) => {
    if (error.code === 'not-durable') {
      // This server keeps no history: show its plain broadcasts.
      state.durable = false;
      return;
    }
    addLine(`error: ${error.message}`, true);
  });
  client.on('heartbeat', (count) => {
    document.body.dataset.heartbeats = String(count);
  });
  follow(state.channel);
}

function switchTransport(name) {
  state.transport = name;
  view.transport.value = name;
  document.body.dataset.transport = name;
  const url = new URL(location.href);
  url.searchParams.set('transport', name);
  history.replaceState(null, '', url);
  state.client?.close();
  connect();
}

function fillTransports() {
  for (const name of ['native', 'grip']) {
    const option = document.createElement('option');
    option.value = name;
    option.textContent = state.config.transports[name] ? name : `${name} (off)`;
    option.disabled = !state.config.transports[name];
    view.transport.append(option);
  }
  view.hint.textContent = state.config.hint || '';
}

function onSubmit(id, action) {
  $(id).addEventListener('submit', (event) => {
    event.preventDefault();
    action();
  });
}

onSubmit('nick-form', () => {
  const nick = view.nick.value.trim();
  if (nick) send(`/nick ${nick}`);
});
onSubmit('channel-form', () => {
  const channel = view.channel.value.trim();
  if (channel) send(`/join ${channel}`);
});
onSubmit('message-form', () => {
  const text = view.message.value;
  if (text.trim() && send(text)) view.message.value = '';
});
view.transport.addEventListener('change', () => switchTransport(view.transport.value));
onSubmit('sign-in-form', () => {
  const name = view.signInName.value.trim();
  if (name) void signIn(name);
});
view.signOut.addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
});

async function start() {
  const response = await fetch('config', { cache: 'no-store' });
  state.config = await response.json();
  fillTransports();
  if (state.config.auth) {
    await finishSignIn();
    const token = storedToken();
    if (!token) {
      view.signIn.hidden = false;
      setStatus('closed', 'sign in to chat');
      view.signInName.focus();
      return;
    }
    showSignedIn(token);
  }
  const wanted = new URLSearchParams(location.search).get('transport');
  const available = Object.keys(state.config.transports).filter((name) => state.config.transports[name]);
  if (wanted && !available.includes(wanted)) {
    addLine(`transport ${wanted} is not available here; using ${available[0]}`, true);
  }
  switchTransport(available.includes(wanted) ? wanted : available[0]);
}

start().catch((error) => setStatus('closed', `cannot load the configuration: ${error.message}`));
