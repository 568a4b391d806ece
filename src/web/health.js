// The system panel: /api/health, asked often only while it matters.

import { $, ago } from './lib.js';

const BUSY_MS = 5000; // jobs are running: their progress depends on a healthy server
const IDLE_MS = 30000; // nothing runs: a slow check is enough
const HIDDEN_MS = 60000; // nobody is looking
const TROUBLE_MS = 3000; // down or degraded: notice the recovery quickly

let state = 'unknown';
let timer = null;
let due = 0; // when the next check runs (ms since the epoch)
let hooks = { busy: () => false, recovered: () => {} };

function healthProblems(h) {
  const problems = [];
  if (h.database !== 'ok') problems.push(`database ${h.database}`);
  if (h.scheduler !== 'running') problems.push(`scheduler ${h.scheduler}`);
  if (!problems.length) {
    problems.push(h.monitor_last_run_at ? `monitor last ran ${ago(h.monitor_last_run_at)}` : 'monitor has not run');
  }
  return problems;
}

function render(next, summary, detail) {
  const was = state;
  state = next;
  $('#health').dataset.state = next;
  $('#health-summary').textContent = summary;
  $('#health-detail').textContent = detail;
  if (next === 'ok' && (was === 'down' || was === 'degraded')) hooks.recovered();
}

function nextDelay() {
  if (document.hidden) return HIDDEN_MS;
  if (state !== 'ok') return TROUBLE_MS;
  return hooks.busy() ? BUSY_MS : IDLE_MS;
}

async function check() {
  clearTimeout(timer);
  try {
    const res = await fetch('api/health', { signal: AbortSignal.timeout(4000), cache: 'no-store' });
    const h = await res.json();
    const counts = h.jobs ? `${h.jobs.in_progress} being written · ${h.jobs.pending} waiting · ${h.jobs.stale} stale` : '';
    const detail = [counts, `version ${h.version}`, `instance ${h.instance_id}`].filter(Boolean).join(' · ');
    if (res.ok && h.status === 'ok') render('ok', 'System ok', detail);
    else render('degraded', `Degraded: ${healthProblems(h).join(', ')}`, detail);
  } catch {
    render('down', 'Server unreachable', `Checking again every ${TROUBLE_MS / 1000} s.`);
  }
  later(nextDelay());
}

function later(ms) {
  clearTimeout(timer);
  due = Date.now() + ms;
  timer = setTimeout(check, ms);
}

// busy(): are jobs running? recovered(): called once when the server is back.
export function initHealth(options) {
  hooks = { ...hooks, ...options };
  document.addEventListener('visibilitychange', () => { if (!document.hidden) check(); });
  check();
}

// A job is running: check at the busy pace from now on, not after a long idle wait.
export function busyNow() {
  if (state === 'ok' && !document.hidden && due - Date.now() > BUSY_MS) later(BUSY_MS);
}
