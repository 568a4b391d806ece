// progen frontend: request form, live jobs list, program view, system panel.
// All text from users or the model goes through text nodes, never innerHTML.

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const TOKEN_KEY = 'progen.apiToken';
const DEFAULT_POLL_MS = 2000;
const MIN_POLL_MS = 250;
const MAX_BACKOFF_MS = 30000;
const HEALTH_EVERY_MS = 5000;
const FIELDS = ['goal', 'experience', 'days_per_week', 'weeks', 'session_minutes', 'equipment', 'notes'];
const LOSS_REASONS = {
  owner_dead: 'the server running it stopped',
  timeout: 'an attempt timed out',
  shutdown: 'the server shut down',
  manual_cleanup: 'it was cleaned up by hand',
};

const $ = (selector) => document.querySelector(selector);
const jobs = new Map(); // id -> {job, row, timer, failures, eventsFor}
let nextCursor = null;
let shownProgram = null; // {id, program, opener}
let tokenPrompt = null; // one shared dialog, however many requests got a 401

// Build an element; string children become text nodes, so nothing is parsed as HTML.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child == null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function setText(node, text) {
  node.textContent = text;
  node.hidden = !text;
}

const human = (value) => String(value ?? '').replaceAll('_', ' ');
const fmtTime = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');

function ago(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 120 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
}

// ---- API access -----------------------------------------------------------

function askToken(rejected) {
  tokenPrompt ??= new Promise((resolve) => {
    const dialog = $('#token-dialog');
    $('#token-error').hidden = !rejected;
    $('#token-input').value = '';
    dialog.addEventListener('close', () => {
      tokenPrompt = null;
      resolve(dialog.returnValue === 'ok');
    }, { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
  return tokenPrompt;
}

function initTokenDialog() {
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
async function api(path, { method = 'GET', body } = {}) {
  let res;
  for (let round = 0; round < 3; round++) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status !== 401) return res;
    const current = sessionStorage.getItem(TOKEN_KEY);
    if (current && current !== token) continue; // a new token was entered meanwhile
    if (current) sessionStorage.removeItem(TOKEN_KEY);
    if (!(await askToken(Boolean(token)))) return res;
  }
  return res;
}

async function errorText(res) {
  try {
    const { detail } = await res.json();
    if (typeof detail === 'string') return detail;
    if (Array.isArray(detail)) return detail.map((d) => d.msg).join('; ');
  } catch { /* not JSON */ }
  return res.status === 401 ? 'API token required' : `HTTP ${res.status}`;
}

// ---- Request form ---------------------------------------------------------

function readForm(form) {
  const f = form.elements;
  const int = (name) => (f[name].value.trim() === '' ? null : Number(f[name].value));
  const body = {
    goal: f.goal.value,
    experience: f.experience.value,
    days_per_week: int('days_per_week'),
    weeks: int('weeks'),
    equipment: [...form.querySelectorAll('input[name=equipment]:checked')].map((box) => box.value),
    notes: f.notes.value,
  };
  if (f.session_minutes.value.trim() !== '') body.session_minutes = int('session_minutes');
  return body;
}

const fieldInputs = (name) => [...document.getElementsByName(name)];

function clearFieldError(name) {
  const box = document.getElementById(`err-${name}`);
  if (box) setText(box, '');
  fieldInputs(name).forEach((input) => input.removeAttribute('aria-invalid'));
}

// Put each 422 message next to its field (loc[1]); the rest goes to the form's error line.
function showErrors(res, detail) {
  const general = [];
  const byField = new Map();
  if (Array.isArray(detail)) {
    for (const item of detail) {
      const loc = item.loc || [];
      const field = loc[0] === 'body' && FIELDS.includes(loc[1]) ? loc[1] : null;
      if (field) byField.set(field, [...(byField.get(field) || []), item.msg]);
      else general.push(loc.length > 1 ? `${loc.slice(1).join('.')}: ${item.msg}` : item.msg);
    }
  } else {
    general.push(typeof detail === 'string' ? detail : `Request failed (HTTP ${res.status})`);
  }
  for (const [field, messages] of byField) {
    setText(document.getElementById(`err-${field}`), messages.join('; '));
    fieldInputs(field).forEach((input) => input.setAttribute('aria-invalid', 'true'));
  }
  setText($('#form-error'), general.join(' '));
  const first = FIELDS.find((field) => byField.has(field));
  if (first) fieldInputs(first)[0].focus();
}

async function submitForm(event) {
  event.preventDefault();
  const form = event.target;
  FIELDS.forEach(clearFieldError);
  setText($('#form-error'), '');
  $('#form-status').textContent = 'Sending…';
  $('#submit').disabled = true;
  try {
    const res = await api('api/programs/generate', { method: 'POST', body: readForm(form) });
    if (res.ok) {
      const job = await res.json();
      show(job, { prepend: true });
      $('#form-status').textContent = `Job ${job.id.slice(0, 8)} created.`;
      setText($('#jobs-status'), '');
    } else {
      const detail = await res.json().then((data) => data.detail, () => null);
      showErrors(res, detail);
      $('#form-status').textContent = '';
    }
  } catch {
    setText($('#form-error'), 'The server could not be reached. Try again.');
    $('#form-status').textContent = '';
  } finally {
    $('#submit').disabled = false;
  }
}

function initForm() {
  const form = $('#request-form');
  const notes = $('#notes');
  form.addEventListener('submit', submitForm);
  form.addEventListener('input', (event) => clearFieldError(event.target.name));
  notes.addEventListener('input', () => {
    const counter = $('#notes-count');
    counter.textContent = `${notes.value.length} / 1000`;
    counter.classList.toggle('near', notes.value.length > 900);
  });
}

// ---- Jobs list ------------------------------------------------------------

function createRow(id) {
  const short = id.slice(0, 8);
  const r = {
    badge: el('span', { class: 'badge' }),
    title: el('span', { class: 'job-title' }),
    meta: el('p', { class: 'small' }),
    notes: el('p', { class: 'req-notes' }),
    bar: el('progress', { max: '1', value: '0' }),
    progressText: el('span', { class: 'small' }),
    live: el('p', { class: 'small live' }),
    error: el('p', { class: 'job-error' }),
    recovery: el('p', { class: 'recovery' }),
    usage: el('p', { class: 'small' }),
    notice: el('p', { class: 'small', role: 'status' }),
    cancel: el('button', { type: 'button', 'aria-label': `Cancel job ${short}`, onclick: () => act(id, 'cancel') }, 'Cancel'),
    retry: el('button', { type: 'button', 'aria-label': `Retry job ${short}`, onclick: () => act(id, 'retry') }, 'Retry'),
    view: el('button', { type: 'button', class: 'primary', 'aria-label': `View program of job ${short}`, onclick: () => openProgram(id) }, 'View program'),
  };
  r.progress = el('div', { class: 'progress' }, r.bar, r.progressText);
  r.li = el('li', { class: 'job', 'data-id': id },
    el('div', { class: 'job-head' }, r.badge, r.title),
    r.meta, r.notes, r.progress, r.live, r.error, r.recovery, r.usage,
    el('div', { class: 'actions' }, r.cancel, r.retry, r.view), r.notice);
  return r;
}

function renderProgress(r, progress) {
  r.progress.hidden = !progress;
  if (!progress) return;
  const { step, total, message } = progress;
  r.bar.max = Math.max(total, 1);
  r.bar.value = step;
  r.bar.setAttribute('aria-label', `step ${step} of ${total}`);
  r.li.dataset.step = step;
  r.progressText.textContent = `${message || (step === 0 ? 'planning' : `week ${step}`)} · step ${step} of ${total}`;
}

// The ticking line: heartbeat age while running, the retry time while waiting.
function renderLive({ job, row }) {
  let text = '';
  if (job.status === 'in_progress') {
    text = job.heartbeat_at ? `heartbeat ${ago(job.heartbeat_at)}` : 'started, no heartbeat yet';
    if (job.cancel_requested) text += ' · cancelling…';
  } else if (job.status === 'pending') {
    const wait = job.next_attempt_at ? Math.ceil((Date.parse(job.next_attempt_at) - Date.now()) / 1000) : 0;
    text = wait > 0 ? `next attempt in ${wait} s` : 'waiting for a worker';
  } else if (job.finished_at) {
    text = `${job.status} at ${fmtTime(job.finished_at)}`;
  }
  setText(row.live, text);
}

function renderRow(entry) {
  const { job, row: r } = entry;
  const q = job.request || {};
  r.li.dataset.status = job.status;
  r.badge.className = `badge ${job.status}`;
  r.badge.textContent = human(job.status);
  r.title.textContent = `${human(q.goal)} · ${q.experience} · ${q.weeks} wk × ${q.days_per_week} d · ${q.session_minutes ?? 60} min`;
  r.meta.textContent = `Job ${job.id.slice(0, 8)} · created ${fmtTime(job.created_at)} · attempt ${job.attempts} of ${job.max_attempts}`;
  setText(r.notes, q.notes ? `Notes: ${q.notes}` : '');
  renderProgress(r, job.progress);
  renderLive(entry);
  setText(r.error, job.error ? `Error: ${job.error}` : '');
  const usage = job.usage;
  setText(r.usage, usage?.total_tokens ? `${usage.total_tokens} tokens (${usage.input_tokens} in, ${usage.output_tokens} out)` : '');
  if (job.recovery_note) setText(r.recovery, `Recovered: ${job.recovery_note}`);
  else if (job.recoveries > 0) describeRecoveries(entry);
  else setText(r.recovery, '');
  const active = !TERMINAL.has(job.status);
  r.cancel.disabled = !active || job.cancel_requested;
  r.retry.disabled = !(job.status === 'failed' || job.status === 'cancelled');
  r.view.hidden = job.status !== 'completed';
}

// Without a recovery_note, explain recoveries from the job's event history (once per count).
async function describeRecoveries(entry) {
  const { id, recoveries } = entry.job;
  if (entry.eventsFor === recoveries) return;
  entry.eventsFor = recoveries;
  let text = `Recovered ${recoveries}× after losing its worker`;
  try {
    const res = await api(`api/programs/jobs/${id}/events`);
    const last = res.ok ? (await res.json()).filter((e) => LOSS_REASONS[e.reason]).at(-1) : null;
    if (last) text += `; last time ${LOSS_REASONS[last.reason]} (${fmtTime(last.at)})${last.message ? `: ${last.message}` : ''}`;
  } catch { /* keep the short text */ }
  if (!entry.job.recovery_note) setText(entry.row.recovery, text);
}

// Newer-or-equal state wins: an answer that was in flight during a cancel cannot undo it.
function isStale(entry, job) {
  return entry && Date.parse(job.updated_at) < Date.parse(entry.job.updated_at);
}

// Render a job (creating its row) and keep polling it only while it is not terminal.
function show(job, { prepend = false, delay = DEFAULT_POLL_MS } = {}) {
  let entry = jobs.get(job.id);
  if (isStale(entry, job)) return;
  if (!entry) {
    entry = { job, row: createRow(job.id), timer: null, failures: 0, eventsFor: 0 };
    jobs.set(job.id, entry);
    if (prepend) $('#job-list').prepend(entry.row.li);
    else $('#job-list').append(entry.row.li);
  }
  entry.job = job;
  renderRow(entry);
  if (TERMINAL.has(job.status)) stopPolling(entry);
  else schedule(entry, delay);
}

function stopPolling(entry) {
  clearTimeout(entry.timer);
  entry.timer = null;
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

async function act(id, action) {
  const entry = jobs.get(id);
  entry.row[action].disabled = true;
  setText(entry.row.notice, '');
  try {
    const res = await api(`api/programs/jobs/${id}/${action}`, { method: 'POST' });
    if (res.ok) {
      entry.failures = 0;
      show(await res.json(), { delay: MIN_POLL_MS * 2 });
      return;
    }
    setText(entry.row.notice, `Could not ${action}: ${await errorText(res)}`);
  } catch {
    setText(entry.row.notice, `Could not ${action}: the server could not be reached.`);
  }
  schedule(entry, 0); // refresh the row so its buttons match the real status
}

async function loadJobs(cursor = null) {
  const section = $('#jobs');
  section.setAttribute('aria-busy', 'true');
  try {
    const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const res = await api(`api/programs/jobs?limit=20${query}`);
    if (!res.ok) throw new Error(await errorText(res));
    const page = await res.json();
    if (!cursor) resetJobs();
    page.items.forEach((job) => show(job));
    nextCursor = page.next_cursor;
    $('#more').hidden = !nextCursor;
    setText($('#jobs-status'), jobs.size ? '' : 'No jobs yet. Submit the form to create one.');
  } catch (error) {
    setText($('#jobs-status'), `Could not load jobs: ${error.message}`);
  } finally {
    section.setAttribute('aria-busy', 'false');
  }
}

function resetJobs() {
  jobs.forEach(stopPolling);
  jobs.clear();
  $('#job-list').replaceChildren();
}

// ---- Program view ---------------------------------------------------------

function renderExercise(x) {
  return el('li', { class: 'exercise' },
    el('span', { class: 'ex-name' }, x.name),
    el('span', { class: 'ex-dose' }, `${x.sets} × ${x.reps}`),
    el('span', { class: 'small' }, `rest ${x.rest_seconds} s`),
    x.notes ? el('p', { class: 'small ex-notes' }, x.notes) : null);
}

function renderSession(s) {
  return el('article', { class: 'session' },
    el('h4', {}, `Day ${s.day}: ${s.name} `, el('span', { class: 'small' }, `${s.duration_minutes} min`)),
    el('ol', { class: 'exercises' }, ...s.exercises.map(renderExercise)));
}

function renderWeek(w) {
  return el('section', { class: 'week' },
    el('h3', {}, `Week ${w.week}: ${w.focus}`),
    ...w.sessions.map(renderSession));
}

async function openProgram(id) {
  const entry = jobs.get(id);
  let { job } = entry;
  if (!job.result) {
    const res = await api(`api/programs/jobs/${id}`).catch(() => null);
    if (res?.ok) job = await res.json();
  }
  if (!job.result) {
    setText(entry.row.notice, 'The program could not be loaded.');
    return;
  }
  const program = job.result;
  const usage = job.usage?.total_tokens ? ` · ${job.usage.total_tokens} tokens` : '';
  $('#program-title').textContent = program.title;
  $('#program-body').replaceChildren(
    el('p', { class: 'summary' }, program.summary),
    el('p', { class: 'small' }, `${program.weeks.length} weeks · generated by ${program.generator}${usage}`),
    ...program.weeks.map(renderWeek));
  shownProgram = { id, program, opener: entry.row.view };
  const section = $('#program');
  section.hidden = false;
  section.scrollIntoView({ block: 'start' });
  $('#program-title').focus({ preventScroll: true });
}

function downloadProgram() {
  const blob = new Blob([JSON.stringify(shownProgram.program, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: `program-${shownProgram.id.slice(0, 8)}.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000); // give the download time to start
}

function closeProgram() {
  $('#program').hidden = true;
  shownProgram?.opener.focus();
}

// ---- System panel ---------------------------------------------------------

function healthProblems(h) {
  const problems = [];
  if (h.database !== 'ok') problems.push(`database ${h.database}`);
  if (h.scheduler !== 'running') problems.push(`scheduler ${h.scheduler}`);
  if (!problems.length) {
    problems.push(h.monitor_last_run_at ? `monitor last ran ${ago(h.monitor_last_run_at)}` : 'monitor has not run');
  }
  return problems;
}

function renderHealth(state, summary, detail) {
  $('#health').dataset.state = state;
  $('#health-summary').textContent = summary;
  $('#health-detail').textContent = detail;
}

async function checkHealth() {
  try {
    const res = await fetch('api/health', { signal: AbortSignal.timeout(4000), cache: 'no-store' });
    const h = await res.json();
    const jobsLine = h.jobs ? `${h.jobs.pending} pending · ${h.jobs.in_progress} running · ${h.jobs.stale} stale` : '';
    const detail = [jobsLine, `v${h.version}`, `instance ${h.instance_id}`].filter(Boolean).join(' · ');
    if (res.ok && h.status === 'ok') renderHealth('ok', 'System ok', detail);
    else renderHealth('degraded', `Degraded: ${healthProblems(h).join(', ')}`, detail);
  } catch {
    renderHealth('down', 'Server unreachable', `retrying every ${HEALTH_EVERY_MS / 1000} s`);
  }
  setTimeout(checkHealth, HEALTH_EVERY_MS);
}

// ---- Start ----------------------------------------------------------------

initTokenDialog();
initForm();
$('#refresh').addEventListener('click', () => loadJobs());
$('#more').addEventListener('click', () => loadJobs(nextCursor));
$('#download').addEventListener('click', downloadProgram);
$('#close-program').addEventListener('click', closeProgram);
setInterval(() => jobs.forEach(renderLive), 1000);
checkHealth();
loadJobs();
