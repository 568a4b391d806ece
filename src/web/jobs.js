// The jobs list: one row per job, named for a person (words.js), with the operator's
// view (attempts, heartbeat, instance, events) behind a "Details" disclosure.

import { api, errorText } from './api.js';
import {
  $, ago, announce, el, fmtDateTime, fmtTime, requestName, setText, shortId,
} from './lib.js';
import { followJob, streamsSupported } from './stream.js';
import { BADGES, jobName, liveWords, notePace, statusWords } from './words.js';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const DEFAULT_POLL_MS = 2000;
const MIN_POLL_MS = 250;
const MAX_BACKOFF_MS = 30000;
// Streams open at once: a browser keeps 6 connections to a server (HTTP/1.1), and the
// page's other requests need some; the jobs beyond these are polled.
const MAX_STREAMS = 3;
// The list route's repeatable `status` filter, by the choice in the page.
const FILTERS = {
  all: [], active: ['pending', 'in_progress'], completed: ['completed'], stopped: ['failed', 'cancelled'],
};
const LOSS_REASONS = {
  owner_dead: 'the server running it stopped',
  timeout: 'an attempt timed out',
  shutdown: 'the server shut down',
  manual_cleanup: 'it was cleaned up by hand',
};
const jobs = new Map(); // id -> {job, row, timer, stream, noStream, failures, pace, eventsFor, born: the list load it came in}
let nextCursor = null;
let loads = 0; // only the newest list load may fill the list
let onActive = () => {}; // told whenever a job is seen running or waiting

export const hasActiveJobs = () => [...jobs.values()].some((entry) => !TERMINAL.has(entry.job.status));

// ---- Rows -----------------------------------------------------------------

function createRow(id) {
  const short = shortId(id);
  const r = {
    title: el('h3', { class: 'job-title', id: `job-${id}-title` }),
    badge: el('span', { class: 'badge' }),
    sub: el('p', { class: 'small' }),
    notes: el('p', { class: 'req-notes' }),
    bar: el('progress', { max: '1', value: '0' }),
    live: el('p', { class: 'live' }),
    recovery: el('p', { class: 'recovery' }),
    notice: el('p', { class: 'small notice', role: 'status' }),
    open: el('a', { class: 'button primary', href: `#/programs/${id}` }, 'Open program', el('span', { class: 'sr-only' }, ` ${short}`)),
    cancel: el('button', { type: 'button', onclick: () => act(id, 'cancel') }, 'Cancel', el('span', { class: 'sr-only' }, ` job ${short}`)),
    retry: el('button', { type: 'button', onclick: () => act(id, 'retry') }, 'Retry', el('span', { class: 'sr-only' }, ` job ${short}`)),
    facts: el('dl', { class: 'facts' }),
    timeline: el('ol', { class: 'timeline' }),
  };
  r.progress = el('div', { class: 'progress' }, r.bar);
  r.details = el('details', { class: 'job-details' },
    el('summary', {}, 'Details', el('span', { class: 'sr-only' }, ` of job ${short}`)),
    r.facts, el('h4', {}, 'History'), r.timeline);
  r.details.addEventListener('toggle', () => {
    if (!r.details.open) return;
    renderFacts(jobs.get(id));
    loadEvents(jobs.get(id));
  });
  r.li = el('li', { class: 'job', 'data-id': id, 'aria-labelledby': r.title.id },
    el('div', { class: 'job-head' }, r.title, r.badge),
    r.sub, r.notes, r.progress, r.live, r.recovery,
    el('div', { class: 'actions' }, r.open, r.cancel, r.retry), r.notice, r.details);
  return r;
}

// The ticking line: progress while writing, the wait while pending, the outcome at the end.
function renderLive(entry) {
  const { job, row } = entry;
  setText(row.live, liveWords(job, entry.pace));
  row.live.classList.toggle('job-error', job.status === 'failed');
  if (row.details.open) renderFacts(entry); // the heartbeat's age ticks
}

// The operator's view: everything the API says about the job, in the disclosure.
function renderFacts({ job, row }) {
  const facts = [
    ['Job id', job.id],
    ['Attempts', `attempt ${job.attempts} of ${job.max_attempts}`],
    ['Created', fmtDateTime(job.created_at)],
    job.heartbeat_at && job.status === 'in_progress' ? ['Heartbeat', ago(job.heartbeat_at)] : null,
    job.owner ? ['Instance', job.owner] : null,
    job.progress ? ['Step', `${job.progress.step} of ${job.progress.total}${job.progress.message ? ` (${job.progress.message})` : ''}`] : null,
    job.finished_at ? ['Finished', fmtDateTime(job.finished_at)] : null,
    job.usage?.total_tokens ? ['Tokens', `${job.usage.total_tokens} (${job.usage.input_tokens} in, ${job.usage.output_tokens} out)`] : null,
    job.error ? ['Error', job.error] : null,
    job.recoveries ? ['Recoveries', job.recovery_note ?? `${job.recoveries}× after losing its worker`] : null,
  ].filter(Boolean);
  row.facts.replaceChildren(...facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}

function renderRow(entry) {
  const { job, row: r } = entry;
  const q = job.request || {};
  r.li.dataset.status = job.status;
  r.title.textContent = jobName(job);
  r.badge.className = `badge ${job.status}`;
  r.badge.textContent = BADGES[job.status] ?? job.status;
  const asked = job.status === 'completed' ? `${requestName(q)} · ` : '';
  r.sub.textContent = `${asked}#${shortId(job.id)} · asked at ${fmtTime(job.created_at)} · ${q.session_minutes ?? 60} min sessions`;
  setText(r.notes, q.notes ? `Notes: ${q.notes}` : '');
  const active = !TERMINAL.has(job.status);
  r.progress.hidden = !(active && job.progress);
  if (job.progress) {
    r.bar.max = Math.max(job.progress.total, 1);
    r.bar.value = job.progress.step;
    r.bar.setAttribute('aria-label', `Progress of ${jobName(job)}`);
    r.li.dataset.step = job.progress.step;
  }
  renderLive(entry);
  renderRecovery(entry);
  r.cancel.hidden = !active;
  r.cancel.disabled = job.cancel_requested;
  r.retry.hidden = !(job.status === 'failed' || job.status === 'cancelled');
  r.open.hidden = job.status !== 'completed';
  renderFacts(entry);
  if (r.details.open) loadEvents(entry);
}

// A running job that was recovered says so on the row; a finished one keeps it in the details.
function renderRecovery(entry) {
  const { job, row } = entry;
  if (TERMINAL.has(job.status) || !job.recoveries) return setText(row.recovery, '');
  if (job.recovery_note) return setText(row.recovery, `Recovered: ${job.recovery_note}`);
  return describeRecoveries(entry);
}

// Without a recovery_note, explain recoveries from the job's event history (once per count).
async function describeRecoveries(entry) {
  const { id, recoveries } = entry.job;
  if (entry.eventsFor === recoveries) return;
  entry.eventsFor = recoveries;
  let text = `Recovered ${recoveries}× after losing its worker`;
  const last = (await fetchEvents(id))?.filter((e) => LOSS_REASONS[e.reason]).at(-1);
  if (last) text += `; last time ${LOSS_REASONS[last.reason]} (${fmtTime(last.at)})${last.message ? `: ${last.message}` : ''}`;
  if (!entry.job.recovery_note && !TERMINAL.has(entry.job.status)) setText(entry.row.recovery, text);
}

async function fetchEvents(id) {
  try {
    const res = await api(`api/programs/jobs/${id}/events`);
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}

// The events timeline, as Temporal's and SAQ's UIs show a job's history.
async function loadEvents(entry) {
  const events = await fetchEvents(entry.job.id);
  if (!events) return setText(entry.row.notice, 'The history could not be loaded.');
  entry.row.timeline.replaceChildren(...events.map((e) => el('li', {},
    el('time', { datetime: e.at }, fmtTime(e.at)),
    ` ${e.from_status ? `${BADGES[e.from_status]} → ` : ''}${BADGES[e.to_status]} · ${e.reason.replaceAll('_', ' ')}`,
    e.attempt ? ` · attempt ${e.attempt}` : '',
    e.message ? ` · ${e.message}` : '')));
}

// Newer-or-equal state wins: an answer that was in flight during a cancel cannot undo it.
function isStale(entry, job) {
  return entry && Date.parse(job.updated_at) < Date.parse(entry.job.updated_at);
}

// Render a job (creating its row) and keep it updated only while it is not terminal.
export function show(job, { prepend = false, delay = DEFAULT_POLL_MS } = {}) {
  let entry = jobs.get(job.id);
  if (isStale(entry, job)) return;
  if (!entry) {
    entry = {
      job, row: createRow(job.id), timer: null, stream: null, noStream: false, failures: 0, pace: null, eventsFor: 0, born: loads,
    };
    jobs.set(job.id, entry);
    if (prepend) $('#job-list').prepend(entry.row.li);
    else $('#job-list').append(entry.row.li);
  } else if (entry.job.status !== job.status) {
    announce(statusWords(job));
  }
  entry.job = job;
  entry.pace = notePace(entry.pace, job);
  renderRow(entry);
  if (TERMINAL.has(job.status)) return stopUpdates(entry);
  onActive();
  return keepUpdated(entry, delay);
}

// ---- Updates: a stream per active job, polling as the fallback, in one place ----
// An active job follows its event stream (stream.js), which hands each Job to show().
// A job is polled instead, at the pace the server's Retry-After asks for, where the
// browser cannot read streams, when MAX_STREAMS are open already, and once its stream
// was refused (an error status, a proxy that answers something else). A stream that
// ends or drops before the job is done (a restart, the network) is followed by a poll,
// backing off while the server is away; the poll's show() opens a new stream.

const openStreams = () => [...jobs.values()].filter((entry) => entry.stream).length;

function keepUpdated(entry, delay) {
  if (entry.stream) return;
  if (streamsSupported && !entry.noStream && openStreams() < MAX_STREAMS) return openStream(entry);
  schedule(entry, delay);
}

function openStream(entry) {
  stopPolling(entry);
  const control = new AbortController();
  entry.stream = control;
  followJob(entry.job.id, (job) => { entry.failures = 0; show(job); }, control.signal).then((outcome) => {
    if (entry.stream !== control) return; // stopped on purpose
    entry.stream = null;
    if (TERMINAL.has(entry.job.status) || !jobs.has(entry.job.id)) return;
    if (outcome === 'refused') {
      entry.noStream = true;
      schedule(entry, 0);
    } else if (outcome === 'dropped') backoff(entry);
    else schedule(entry, DEFAULT_POLL_MS);
  });
}

function stopPolling(entry) {
  clearTimeout(entry.timer);
  entry.timer = null;
}

function stopUpdates(entry) {
  stopPolling(entry);
  const control = entry.stream;
  entry.stream = null;
  control?.abort();
}

function schedule(entry, ms) {
  stopPolling(entry);
  entry.timer = setTimeout(() => poll(entry), ms);
}

function retryAfterMs(res) {
  const header = res.headers.get('Retry-After');
  const seconds = header === null ? NaN : Number(header);
  return Number.isFinite(seconds) ? Math.max(MIN_POLL_MS, seconds * 1000) : DEFAULT_POLL_MS;
}

// Network errors and 5xx: wait 2, 4, 8 … up to 30 s before asking again.
function backoff(entry) {
  entry.failures += 1;
  schedule(entry, Math.min(MAX_BACKOFF_MS, 1000 * 2 ** entry.failures));
}

async function poll(entry) {
  entry.timer = null;
  let res;
  try {
    res = await api(`api/programs/jobs/${entry.job.id}`);
  } catch {
    return backoff(entry);
  }
  if (res.status === 404) {
    setText(entry.row.notice, 'This job no longer exists on the server.');
    return;
  }
  if (!res.ok) return backoff(entry);
  entry.failures = 0;
  show(await res.json(), { delay: retryAfterMs(res) });
}

// After an outage: ask about every active job without a stream now, forgetting the backoff.
export function pollAllNow() {
  for (const entry of jobs.values()) {
    setText(entry.row.notice, '');
    entry.failures = 0;
    if (!TERMINAL.has(entry.job.status) && !entry.stream) schedule(entry, 0);
  }
}

async function act(id, action) {
  const entry = jobs.get(id);
  entry.row[action].disabled = true;
  setText(entry.row.notice, '');
  try {
    const res = await api(`api/programs/jobs/${id}/${action}`, { method: 'POST' });
    if (res.ok) {
      entry.failures = 0;
      entry.row[action].disabled = false;
      show(await res.json(), { delay: MIN_POLL_MS * 2 });
      return;
    }
    setText(entry.row.notice, `Could not ${action}: ${await errorText(res)}.`);
  } catch {
    setText(entry.row.notice, `Could not ${action}: the server could not be reached.`);
  }
  entry.row[action].disabled = false;
  schedule(entry, 0); // refresh the row so its buttons match the real status
}

// ---- The list -------------------------------------------------------------

function listQuery(cursor) {
  const params = new URLSearchParams({ limit: '20' });
  for (const status of FILTERS[$('#status-filter').value] ?? []) params.append('status', status);
  if (cursor) params.set('cursor', cursor);
  return `api/programs/jobs?${params}`;
}

// Does the chosen filter show jobs of this status?
export const filterShows = (status) => {
  const statuses = FILTERS[$('#status-filter').value] ?? [];
  return !statuses.length || statuses.includes(status);
};

export async function loadJobs(cursor = null) {
  const load = ++loads;
  const section = $('#jobs');
  section.setAttribute('aria-busy', 'true');
  try {
    const res = await api(listQuery(cursor));
    if (!res.ok) throw new Error(await errorText(res));
    const page = await res.json();
    if (load !== loads) return; // a newer load (a filter change, a new token) took over
    if (!cursor) resetJobs(load);
    page.items.forEach((job) => show(job));
    nextCursor = page.next_cursor;
    $('#more').hidden = !nextCursor;
    setText($('#jobs-status'), jobs.size ? '' : emptyText());
  } catch (error) {
    if (load === loads) setText($('#jobs-status'), `Could not load the list: ${error.message === 'Failed to fetch' ? 'the server could not be reached' : error.message}.`);
  } finally {
    if (load === loads) section.setAttribute('aria-busy', 'false');
  }
}

const emptyText = () => ($('#status-filter').value === 'all'
  ? 'No programs yet. Fill in the form to ask for one.'
  : 'No programs match this filter.');

// Drop the rows from before this load; a row shown while it was under way (a job
// just submitted) stays, as the page may have been read before that job existed.
function resetJobs(load) {
  for (const [id, entry] of jobs) {
    if (entry.born >= load) continue;
    stopUpdates(entry);
    entry.row.li.remove();
    jobs.delete(id);
  }
}

export function initJobs(options) {
  ({ onActive } = options);
  $('#refresh').addEventListener('click', () => loadJobs());
  $('#more').addEventListener('click', () => loadJobs(nextCursor));
  $('#status-filter').addEventListener('change', () => loadJobs());
  setInterval(() => jobs.forEach(renderLive), 1000);
}

// The row's "Open program" link, to give focus back when the program closes.
export const openLink = (id) => jobs.get(id)?.row.open;
