// The local chat page: talks to the chat handler over the native or the GRIP transport. Every string that
// comes from a user or the network is rendered with textContent, never as HTML. Loaded as a module (strict).

const DEFAULT_CHANNEL = 'room';
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15000;

const $ = (id) => document.getElementById(id);
const view = {
  transport: $('transport'),
  status: $('status'),
  nick: $('nick'),
  channel: $('channel'),
  messages: $('messages'),
  message: $('message'),
  send: $('send'),
  endpoint: $('endpoint'),
  hint: $('hint'),
};

const state = {
  config: undefined,
  transport: undefined,
  socket: undefined,
  nick: '', // confirmed by the server ("nickname set to [...]")
  channel: DEFAULT_CHANNEL, // confirmed by the server ("joined [...]")
  asked: { nick: undefined, channel: undefined }, // the last /nick and /join sent
  attempt: 0,
  retryTimer: undefined,
  heartbeatTimer: undefined,
  heartbeats: 0,
};

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
function addLine(text, system) {
  const item = document.createElement('li');
  const split = text.indexOf(': ');
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

// Only the answers to what this page asked for change its state, so another user's message cannot.
function onServerText(text) {
  const nick = state.asked.nick !== undefined && text === `nickname set to [${state.asked.nick}]`;
  const joined = state.asked.channel !== undefined && text === `joined [${state.asked.channel}]`;
  if (nick) {
    state.nick = state.asked.nick;
    view.nick.value = state.nick;
  } else if (joined) {
    state.channel = state.asked.channel;
    view.channel.value = state.channel;
  }
  addLine(text, nick || joined || text.startsWith('error: '));
}

function send(text) {
  if (!state.socket || state.socket.readyState !== WebSocket.OPEN) return false;
  if (text.startsWith('/nick ')) state.asked.nick = text.slice('/nick '.length);
  if (text.startsWith('/join ')) state.asked.channel = text.slice('/join '.length);
  state.socket.send(text);
  return true;
}

function backoffDelay(attempt) {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

function scheduleReconnect(reason) {
  const delay = backoffDelay(state.attempt);
  state.attempt += 1;
  setStatus('waiting', `${reason}, reconnecting in ${(delay / 1000).toFixed(1)} s`);
  state.retryTimer = setTimeout(connect, delay);
}

function stopHeartbeat() {
  clearInterval(state.heartbeatTimer);
  state.heartbeatTimer = undefined;
}

function startHeartbeat() {
  stopHeartbeat();
  state.heartbeatTimer = setInterval(() => {
    if (send(state.config.heartbeat.command)) {
      state.heartbeats += 1;
      document.body.dataset.heartbeats = String(state.heartbeats);
    }
  }, state.config.heartbeat.intervalMs);
}

function connect() {
  clearTimeout(state.retryTimer);
  const url = state.config.transports[state.transport];
  view.endpoint.textContent = url;
  setStatus('connecting', `connecting (${state.transport})`);
  const socket = new WebSocket(url);
  state.socket = socket;
  socket.addEventListener('open', () => {
    if (state.socket !== socket) return;
    state.attempt = 0;
    setStatus('open', `connected (${state.transport})`);
    // restore what the server forgot with the old connection
    if (state.nick) send(`/nick ${state.nick}`);
    if (state.channel !== DEFAULT_CHANNEL) send(`/join ${state.channel}`);
    startHeartbeat();
  });
  socket.addEventListener('message', (event) => {
    if (state.socket !== socket) return;
    if (typeof event.data === 'string') onServerText(event.data);
  });
  socket.addEventListener('close', (event) => {
    if (state.socket !== socket) return;
    stopHeartbeat();
    state.socket = undefined;
    scheduleReconnect(`closed (${event.code})`);
  });
}

function switchTransport(name) {
  state.transport = name;
  view.transport.value = name;
  document.body.dataset.transport = name;
  const url = new URL(location.href);
  url.searchParams.set('transport', name);
  history.replaceState(null, '', url);
  const old = state.socket;
  state.socket = undefined;
  if (old) old.close(1000, 'transport switched');
  stopHeartbeat();
  state.attempt = 0;
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

async function start() {
  const response = await fetch('config', { cache: 'no-store' });
  state.config = await response.json();
  fillTransports();
  const wanted = new URLSearchParams(location.search).get('transport');
  const available = Object.keys(state.config.transports).filter((name) => state.config.transports[name]);
  if (wanted && !available.includes(wanted)) {
    addLine(`transport ${wanted} is not available here; using ${available[0]}`, true);
  }
  switchTransport(available.includes(wanted) ? wanted : available[0]);
}

start().catch((error) => setStatus('closed', `cannot load the configuration: ${error.message}`));
