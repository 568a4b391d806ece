// The one way the page talks to /api: the bearer token, the shared token prompt,
// and downloads that carry the same Authorization header.

import { $, el } from './lib.js';

const TOKEN_KEY = 'progen.apiToken';
let tokenPrompt = null; // one shared dialog, however many requests got a 401
let afterToken = () => {};

// Called after a token is accepted (the whole list reloads with it).
export function onTokenAccepted(callback) {
  afterToken = callback;
}

function askToken(rejected) {
  tokenPrompt ??= new Promise((resolve) => {
    const dialog = $('#token-dialog');
    $('#token-error').hidden = !rejected;
    $('#token-input').value = '';
    dialog.addEventListener('close', () => {
      tokenPrompt = null;
      const ok = dialog.returnValue === 'ok';
      resolve(ok);
      if (ok) afterToken();
    }, { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
  return tokenPrompt;
}

export function initTokenDialog() {
  const dialog = $('#token-dialog');
  $('#token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('#token-input').value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    dialog.close('ok');
  });
  $('#token-cancel').addEventListener('click', () => dialog.close(''));
}

// fetch() with the stored bearer token; a 401 asks for a token and tries again.
export async function api(path, { method = 'GET', body, accept = 'application/json', signal } = {}) {
  let res;
  for (let round = 0; round < 3; round++) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = { Accept: accept };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    res = await fetch(path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status !== 401) return res;
    const current = sessionStorage.getItem(TOKEN_KEY);
    if (current && current !== token) continue; // a new token was entered meanwhile
    if (current) sessionStorage.removeItem(TOKEN_KEY);
    if (!(await askToken(Boolean(token)))) return res;
  }
  return res;
}

export async function errorText(res) {
  if (res.status === 401) return 'an API token is needed (press Refresh to enter it)';
  try {
    const { detail } = await res.json();
    if (typeof detail === 'string') return detail;
    if (Array.isArray(detail)) return detail.map((d) => d.msg).join('; ');
  } catch { /* not JSON */ }
  return `the server answered HTTP ${res.status}`;
}

// Save a blob under a file name (an object URL on a temporary link).
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000); // give the download time to start
}

// Download an API file with fetch (so the token is sent) and save it under the
// server's file name. Returns null when saved, else the reason in words.
export async function download(path, fallbackName) {
  let res;
  try {
    res = await api(path, { accept: '*/*' });
  } catch {
    return 'the server could not be reached';
  }
  if (!res.ok) return errorText(res);
  const disposition = res.headers.get('Content-Disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  saveBlob(await res.blob(), name);
  return null;
}
