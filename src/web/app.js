// progen's page: the form and the jobs list at `#/`, a program at
// `#/programs/<id>`, its today mode at `#/programs/<id>/today`.

import { api, errorText, initTokenDialog, onTokenAccepted } from './api.js';
import { clearReachError, initForm } from './form.js';
import { busyNow, initHealth } from './health.js';
import { hasActiveJobs, initJobs, loadJobs, openLink, pollAllNow } from './jobs.js';
import { $, setText } from './lib.js';
import { renderProgram } from './program.js';
import { leaveToday, renderToday } from './today.js';

const ROUTE = /^#\/programs\/([0-9a-f-]{36})(\/today)?$/i;
let shown = null; // {id, job}: the program on screen, fetched once per visit
let lastProgramId = null;

function showView(view) {
  document.body.dataset.view = view;
  $('#form-panel').hidden = view !== 'home';
  $('#jobs').hidden = view !== 'home';
  $('#program').hidden = view !== 'program';
  $('#today').hidden = view !== 'today';
  $('#view-error').hidden = true;
}

// The program always comes from GET of the one job: the list carries no results.
async function fetchProgram(id) {
  if (shown?.id === id) return shown.job;
  const res = await api(`api/programs/jobs/${id}`);
  if (!res.ok) throw new Error(res.status === 404 ? 'No program has this link.' : `The program could not be loaded: ${await errorText(res)}.`);
  const job = await res.json();
  if (!job.result) throw new Error('This program is not written yet: the list shows how far it has got.');
  shown = { id, job };
  return job;
}

async function openProgram(id, today) {
  lastProgramId = id;
  let job;
  try {
    job = await fetchProgram(id);
  } catch (error) {
    showView('error');
    setText($('#view-error-text'), error.message === 'Failed to fetch' ? 'The server could not be reached.' : error.message);
    $('#view-error').hidden = false;
    return;
  }
  showView(today ? 'today' : 'program');
  if (today) renderToday(job);
  else renderProgram(job);
  document.title = `${job.result.title} — progen`;
  window.scrollTo(0, 0);
  $(today ? '#today-title' : '#program-title').focus({ preventScroll: true });
}

async function route() {
  leaveToday();
  const match = ROUTE.exec(location.hash);
  if (match) return openProgram(match[1].toLowerCase(), Boolean(match[2]));
  const away = document.body.dataset.view !== 'home';
  showView('home');
  document.title = 'progen — training programs';
  shown = null;
  if (!away) return null;
  await loadJobs(); // jobs may have been made while the program was open
  const back = lastProgramId && openLink(lastProgramId);
  if (back && !back.hidden) back.focus();
  return null;
}

// In-page links (#program-weeks, #main) move focus there without touching the route.
function initSkipLinks() {
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-skip]');
    if (!link) return;
    event.preventDefault();
    const target = document.getElementById(link.getAttribute('href').slice(1));
    if (!target) return;
    if (!target.hasAttribute('tabindex')) target.tabIndex = -1;
    target.focus();
  });
}

// The server is back: every running job is asked about now, the list reloads
// and messages about the outage go.
function recovered() {
  pollAllNow();
  loadJobs();
  clearReachError();
  if (/could not be reached/.test($('#view-error-text').textContent)) route();
}

initTokenDialog();
onTokenAccepted(() => loadJobs());
initForm();
initJobs({ onActive: busyNow });
initSkipLinks();
initHealth({ busy: hasActiveJobs, recovered });
window.addEventListener('hashchange', route);
loadJobs();
route();
