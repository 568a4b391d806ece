// What the jobs list says, in a person's words: names, progress with the time
// left, and what happened to a job that did not finish.

import { duration, fmtTime, requestName } from './lib.js';

export const BADGES = {
  pending: 'waiting', in_progress: 'writing', completed: 'ready', failed: 'failed', cancelled: 'cancelled',
};

// What a failure means to the person who asked, found from the operator's error text.
const FAILURES = [
  [/restarted/i, 'The server restarted while this program was being written.', 'Press Retry to carry on from where it stopped.'],
  [/timed out|in time/i, 'Writing this program took too long.', 'Press Retry to try again.'],
  [/content filter/i, 'The program could not be written from these notes.', 'Rephrase the notes and ask again.'],
  [/length limit/i, 'The program came out too long to write in one go.', 'Ask for fewer days a week or shorter sessions.'],
  [/API key|denied access|quota|does not know the model|OPENAI/i,
    'The program writer on this server is not set up correctly.',
    'Ask whoever runs this service to fix it (the details below say what), then press Retry.'],
];

export const jobName = (job) => job.title ?? job.result?.title ?? requestName(job.request);

// "writing week 3 of 16 — about 40 s left": the step in words, the time from the pace.
function progressWords(job, pace) {
  const { step, total } = job.progress;
  const weeks = job.request?.weeks;
  let text;
  if (step === 0) text = 'planning the program';
  else if (step >= total) text = 'finishing';
  else if (total === weeks + 1) text = `writing week ${step} of ${weeks}`;
  else text = `writing part ${step + 1} of ${total}`;
  const left = secondsLeft(job, pace);
  if (left !== null) text += left < 5 ? ' — almost done' : ` — about ${duration(left)} left`;
  return text;
}

// The measured pace: seconds per step between the first step seen and the latest one.
export function notePace(pace, job) {
  if (!job.progress || !job.progress_at) return pace;
  const seen = { t: Date.parse(job.progress_at), step: job.progress.step };
  if (!pace || seen.step < pace.first.step) {
    // A first attempt's start counts as step 0, so one finished step already gives a pace.
    const start = job.attempts <= 1 && job.started_at ? { t: Date.parse(job.started_at), step: 0 } : seen;
    return { first: start, last: seen };
  }
  return { first: pace.first, last: seen };
}

function secondsLeft(job, pace) {
  if (job.status !== 'in_progress' || !pace) return null;
  const steps = pace.last.step - pace.first.step;
  if (steps <= 0 || pace.last.t <= pace.first.t) return null;
  const perStep = (pace.last.t - pace.first.t) / steps;
  const left = (job.progress.total - pace.last.step) * perStep - (Date.now() - pace.last.t);
  return Math.max(0, left / 1000);
}

// What happened to a failed or cancelled job, and what the person can do.
export function outcome(job) {
  if (job.status === 'cancelled') {
    const done = job.progress?.step ? ' Retry carries on from where it stopped.' : ' Press Retry to start it again.';
    return `Cancelled before it was finished.${done}`;
  }
  const [, what, todo] = FAILURES.find(([pattern]) => pattern.test(job.error ?? ''))
    ?? [null, 'Something went wrong while writing this program.', 'Press Retry to try again.'];
  const tries = job.attempts > 1 ? ` It was tried ${job.attempts} times.` : '';
  return `${what}${tries} ${todo}`;
}

// The row's ticking line: progress while writing, the wait while pending, the outcome at the end.
export function liveWords(job, pace) {
  if (job.status === 'in_progress') {
    const text = job.progress ? progressWords(job, pace) : 'starting';
    return `${text[0].toUpperCase()}${text.slice(1)}${job.cancel_requested ? ' · cancelling…' : ''}`;
  }
  if (job.status === 'pending') {
    const wait = job.next_attempt_at ? Math.ceil((Date.parse(job.next_attempt_at) - Date.now()) / 1000) : 0;
    if (wait > 0) return `Something went wrong; trying again in ${wait} s.`;
    return job.attempts ? 'Waiting to carry on.' : 'Waiting to start.';
  }
  if (job.status === 'completed') return `Ready since ${fmtTime(job.finished_at)}.`;
  return outcome(job);
}

export function statusWords(job) {
  if (job.status === 'completed') return `${jobName(job)} is ready.`;
  if (job.status === 'in_progress') return `${jobName(job)} is being written.`;
  if (job.status === 'pending') return `${jobName(job)} is waiting.`;
  return `${jobName(job)}: ${outcome(job)}`;
}
