// The dashboard in a real browser: headless Chromium (Debian's) driven by playwright-core.
//
//   node tests/browser/dashboard.test.mjs <dashboard_server binary> <screenshot folder>
//
// Starts the server program (a runtime with a few tasks and taskkit::http on a free loopback port;
// it prints {"port", "token", "url", …} on its first line), signs in with the token, and goes
// through the dashboard as a person would: triggers a run from a Test page and sees it complete
// with its output, triggers a failing task and sees its attempts and their errors, submits a
// payload that violates a task's schema and sees each violation beside its line with its JSON
// Pointer path, types invalid JSON and sees where, pauses and resumes a queue (and asks the API
// too), and saves screenshots. Every wait has a timeout; the whole run is bounded; the server and
// the browser are stopped on every way out. Exit 0 on success, 1 on a failure (with what failed),
// 77 when node's playwright-core or chromium is missing (reported as skipped).
import {spawn} from 'node:child_process';
import {existsSync, mkdirSync} from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const SKIP = 77;
const TOTAL_MS = Number(process.env.TASKKIT_BROWSER_TIMEOUT_MS ?? 150_000);
const STEP_MS = 20_000;
const CHROMIUM = process.env.TASKKIT_CHROMIUM ?? '/usr/bin/chromium';

const [serverBin, shotDir] = process.argv.slice(2);
if (!serverBin || !shotDir) {
  console.error('usage: node dashboard.test.mjs <dashboard_server binary> <screenshot folder>');
  process.exit(2);
}

function skip(why) {
  console.log(`dashboard browser test skipped: ${why}`);
  process.exit(SKIP);
}

if (!existsSync(CHROMIUM)) skip(`${CHROMIUM} is missing (Debian: apt-get install chromium)`);
let chromium;
try {
  ({chromium} = await import('playwright-core'));
} catch {
  skip('playwright-core is not installed (npm ci --prefix tests/browser)');
}
if (!existsSync(serverBin)) {
  console.error(`FAIL: the server program ${serverBin} does not exist (build the dashboard_server target)`);
  process.exit(1);
}
mkdirSync(shotDir, {recursive: true});

// ------------------------------------------------------------------ bookkeeping

let server = null;
let serverExit = null;
let serverStderr = '';
let browser = null;
let currentStep = 'starting';
const pageErrors = [];
const started = Date.now();

function log(message) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`);
}

async function step(name, fn) {
  currentStep = name;
  log(`• ${name}`);
  await fn();
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Resolves with `promise`, or rejects after `ms` with `what` in the message. */
function within(ms, what, promise) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function stopServer() {
  if (!server || serverExit) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.stdin.end();  // the program serves until its stdin closes
  try {
    await within(15_000, 'the server stopping after its stdin closed', exited);
  } catch {
    server.kill('SIGKILL');
    await within(5000, 'the server being killed', exited).catch(() => {});
  }
}

let cleaning = null;
function cleanup() {
  cleaning ??= (async () => {
    if (browser) await within(10_000, 'closing the browser', browser.close()).catch(() => {});
    await stopServer();
  })();
  return cleaning;
}

// A last resort: nothing is left running, whatever happens.
process.on('exit', () => {
  try {
    if (server && !serverExit) server.kill('SIGKILL');
  } catch {
    // already gone
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    console.error(`FAIL: interrupted (${sig}) during: ${currentStep}`);
    await cleanup();
    process.exit(1);
  });
}

const deadline = setTimeout(async () => {
  console.error(`FAIL: the test took longer than ${TOTAL_MS / 1000} s (during: ${currentStep})`);
  await cleanup();
  process.exit(1);
}, TOTAL_MS);

// ------------------------------------------------------------------ the server

function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(serverBin, [], {stdio: ['pipe', 'pipe', 'pipe']});
    server.on('error', (e) => reject(new Error(`cannot start ${serverBin}: ${e.message}`)));
    server.on('exit', (code, signal) => {
      serverExit = {code, signal};
      reject(new Error(`the server exited before it printed its port (code ${code}, signal ${signal})\n${serverStderr}`));
    });
    server.stderr.on('data', (d) => {
      serverStderr += d;
      if (serverStderr.length > 200_000) serverStderr = serverStderr.slice(-100_000);
    });
    const lines = readline.createInterface({input: server.stdout});
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`the server's first line is not JSON: ${line}`));
      }
    });
  });
}

// ------------------------------------------------------------------ the test

let info;
let shots = 0;

async function shot(page, name) {
  const file = path.join(shotDir, `${String(++shots).padStart(2, '0')}-${name}.png`);
  // A still picture: no pointer hovering, no transient notice, no transition half done.
  await page.mouse.move(1, 890);
  await page.evaluate(() => document.getElementById('toasts')?.replaceChildren());
  await page.waitForFunction(() => document.getAnimations().length === 0, null, {timeout: 5000}).catch(() => {});
  await page.screenshot({path: file, fullPage: false});
  log(`  screenshot ${file}`);
}

async function apiGet(p) {
  const res = await within(10_000, `GET ${p}`, fetch(`${info.url}/api/v1${p}`, {headers: {Authorization: `Bearer ${info.token}`}}));
  check(res.ok, `GET ${p} answered ${res.status}`);
  return res.json();
}

async function apiPost(p, body) {
  const res = await within(10_000, `POST ${p}`, fetch(`${info.url}/api/v1${p}`, {
    method: 'POST', headers: {Authorization: `Bearer ${info.token}`, 'Content-Type': 'application/json'}, body: JSON.stringify(body),
  }));
  if (!res.ok) throw new Error(`POST ${p} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** Waits until the text of `locator` contains `text`. */
async function waitForText(page, selector, text, timeout = STEP_MS) {
  try {
    await page.waitForFunction(([sel, t]) => [...document.querySelectorAll(sel)].some((el) => el.textContent.includes(t)),
      [selector, text], {timeout});
  } catch {
    const seen = await page.locator(selector).allTextContents().catch(() => []);
    throw new Error(`expected "${text}" in ${selector} within ${timeout} ms; saw: ${JSON.stringify(seen).slice(0, 600)}`);
  }
}

async function gotoHash(page, hash) {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await page.locator('#page-title').waitFor({timeout: STEP_MS});
}

async function run() {
  await step('start the server program', async () => {
    info = await within(30_000, 'the server printing its port', startServer());
    server.removeAllListeners('exit');
    server.on('exit', (code, signal) => {
      serverExit = {code, signal};
    });
    log(`  server on ${info.url} (schema: ${info.schema}, schedules: ${info.schedules})`);
  });

  await step('launch headless chromium', async () => {
    browser = await within(30_000, 'launching chromium', chromium.launch({
      executablePath: CHROMIUM, headless: true, timeout: 30_000,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-dev-shm-usage'],
    }));
  });

  const context = await browser.newContext({viewport: {width: 1440, height: 900}, colorScheme: 'light', deviceScaleFactor: 1});
  context.setDefaultTimeout(STEP_MS);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${e.message}\n${e.stack ?? ''}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });

  await step('sign in with the token and see the runs, live', async () => {
    const res = await page.goto(`${info.url}/?token=${encodeURIComponent(info.token)}`, {timeout: STEP_MS});
    check(res && res.ok(), `opening the dashboard answered ${res?.status()}`);
    check(!page.url().includes('token='), `the token stayed in the address bar: ${page.url()}`);
    await waitForText(page, '#page-title', 'Runs');
    await page.locator('#live[data-state="live"]').waitFor({timeout: STEP_MS});
    await page.locator('tr[data-run-id]').first().waitFor({timeout: STEP_MS});
    // Without the cookie, the same page is refused.
    const anonymous = await within(10_000, 'GET / without a token', fetch(`${info.url}/`));
    check(anonymous.status === 401, `the dashboard without a token answered ${anonymous.status}, not 401`);
  });

  let helloRun;
  await step('Test page of say-hello: trigger a run and see it complete with its output', async () => {
    await page.getByRole('link', {name: 'Tasks', exact: true}).click();
    await page.getByRole('link', {name: 'Test say-hello'}).click();
    await waitForText(page, '#page-title', 'say-hello');
    const editor = page.locator('textarea[data-editor="payload"]');
    // Prefilled with the last run's payload (the task has no schema).
    await page.waitForFunction(() => document.querySelector('textarea[data-editor="payload"]').value.includes('"name"'), null, {timeout: STEP_MS});
    await editor.fill('{\n  "name": "Browser"\n}');
    await page.locator('#opt-tags').fill('from-browser, e2e');
    await page.locator('#run-button').click();
    await page.locator('#result .badge[data-status="completed"]').waitFor({timeout: STEP_MS});
    await waitForText(page, '#result-output', 'Hello, Browser!');
    helloRun = (await page.locator('#result-run-link').textContent()).trim();
    check(/^run_/.test(helloRun), `the result names no run: ${helloRun}`);
    const viaApi = await apiGet(`/runs/${helloRun}`);
    check(viaApi.run.status === 'completed' && viaApi.run.output.greeting === 'Hello, Browser!', `the API says ${JSON.stringify(viaApi.run).slice(0, 300)}`);
    check(JSON.stringify(viaApi.run.tags) === JSON.stringify(['from-browser', 'e2e']), `the run's tags are ${JSON.stringify(viaApi.run.tags)}`);
  });

  await step('run page of that run: output, one attempt, logs, tags', async () => {
    await page.locator('#result-run-link').click();
    await waitForText(page, '#page-title', helloRun);
    await waitForText(page, '[data-testid="run-output"]', 'Hello, Browser!');
    check(await page.locator('table.attempts tbody tr').count() === 1, 'the run page does not list one attempt');
    await waitForText(page, '.logs .log-message', 'greeting Browser');
    await waitForText(page, '.kv .tag', 'from-browser');
    await shot(page, 'run-page');
  });

  await step('run page of a run waiting on a token: what it waits for, its stream and metadata live, and completing the token moves it on', async () => {
    const created = await apiPost('/tasks/await-approval/trigger', {payload: {change: 'the pricing page'}});
    const approvalRun = created.id;
    await gotoHash(page, `#/runs/${approvalRun}`);
    await waitForText(page, '#page-title', approvalRun);
    // What it waits for: the token the run made, as the API tells it too.
    await page.locator('[data-testid="run-waiting-for"] [data-testid="waiting-token"]').waitFor({timeout: STEP_MS});
    await page.locator('.run-status .badge[data-status="waiting"]').waitFor({timeout: STEP_MS});
    const token = (await page.locator('[data-testid="waiting-token"]').textContent()).trim();
    const viaApi = await apiGet(`/runs/${approvalRun}`);
    check(viaApi.run.waiting_for?.kind === 'token' && viaApi.run.waiting_for.token_id === token,
      `the page waits for ${token}, the API says ${JSON.stringify(viaApi.run.waiting_for)}`);
    await waitForText(page, '[data-testid="run-waiting-for"]', 'Waiting for waitpoint token');
    await waitForText(page, '[data-stream="progress"] .stream-chunk', 'drafted the pricing page');
    await waitForText(page, '[data-testid="run-metadata"]', 'awaiting approval');
    // The page follows the run's own events.
    await page.locator('[data-testid="run-streams"][data-live="following"]').waitFor({timeout: STEP_MS});
    await shot(page, 'run-waiting-for-token');

    // Completing the token through the API: the chunks the run appends appear, its metadata
    // changes, and the page moves on to completed with no wait shown.
    const done = await apiPost(`/waitpoints/${encodeURIComponent(token)}/complete`, {data: {by: 'Ada'}});
    check(done.completed === true, `completing the token answered ${JSON.stringify(done)}`);
    await waitForText(page, '[data-stream="progress"] .stream-chunk', 'approved by Ada');
    await waitForText(page, '[data-stream="progress"] .stream-chunk', 'applied');
    await waitForText(page, '[data-testid="run-metadata"]', '"approved"');
    await page.locator('.run-status .badge[data-status="completed"]').waitFor({timeout: STEP_MS});
    await page.waitForFunction(() => !document.querySelector('[data-testid="run-waiting-for"]'), null, {timeout: STEP_MS});
    await page.locator('[data-testid="run-streams"][data-live="ended"]').waitFor({timeout: STEP_MS});
    await waitForText(page, '[data-testid="run-output"]', 'approved by Ada');
    const chunks = await page.locator('[data-stream="progress"] .stream-chunk').allTextContents();
    check(JSON.stringify(chunks) === JSON.stringify(['drafted the pricing page', 'approved by Ada', 'applied']),
      `the stream shows ${JSON.stringify(chunks)}`);
    await shot(page, 'run-after-approval');
    // Back to the say-hello run, where the next steps go on.
    await gotoHash(page, `#/runs/${helloRun}`);
    await waitForText(page, '#page-title', helloRun);
    await waitForText(page, '[data-testid="run-output"]', 'Hello, Browser!');
  });

  await step('replay with an edited payload: a payload that does not decode is marked, a good one runs', async () => {
    await page.getByRole('button', {name: 'Replay with edited payload…'}).click();
    const editor = page.locator('textarea[data-editor="replay"]');
    await editor.waitFor({timeout: STEP_MS});
    await editor.fill('{\n  "name": 5\n}');
    await page.locator('.replay').getByRole('button', {name: 'Replay', exact: true}).click();
    const mark = page.locator('.replay .editor-mark[data-path="/name"]');
    await mark.waitFor({timeout: STEP_MS});
    check(await mark.getAttribute('data-line') === '2', `the /name problem is not beside line 2 but ${await mark.getAttribute('data-line')}`);
    await editor.fill('{"name": "Edited"}');
    await page.locator('.replay').getByRole('button', {name: 'Replay', exact: true}).click();
    await page.waitForFunction((old) => document.querySelector('#page-title')?.textContent.startsWith('run_') &&
      document.querySelector('#page-title').textContent !== old, helloRun, {timeout: STEP_MS});
    await waitForText(page, '[data-testid="run-output"]', 'Hello, Edited!');
  });

  await step('Test page of always-fails: see its three attempts and their errors', async () => {
    await gotoHash(page, '#/tasks/always-fails/test');
    await page.locator('#run-button').click();
    await page.locator('#result .badge[data-status="failed"]').waitFor({timeout: STEP_MS});
    const attempts = page.locator('#result .attempt-list li');
    await page.waitForFunction(() => document.querySelectorAll('#result .attempt-list li').length === 3, null, {timeout: STEP_MS});
    for (let n = 1; n <= 3; ++n) await waitForText(page, `#result .attempt-list li[data-attempt="${n}"]`, `upstream answered 503 on attempt ${n}`);
    check(await attempts.count() === 3, 'the Test page does not list three attempts');
    await waitForText(page, '#result-error', 'upstream answered 503 on attempt 3');
    // And on its run page, with each attempt's duration and error.
    await page.locator('#result-run-link').click();
    await page.waitForFunction(() => document.querySelectorAll('table.attempts tbody tr').length === 3, null, {timeout: STEP_MS});
    await waitForText(page, 'table.attempts tbody tr[data-attempt="2"] .attempt-error', 'upstream answered 503 on attempt 2');
    await shot(page, 'failed-run');
  });

  if (info.schema) {
    await step('Test page of create-user: the editor starts from an example of the schema', async () => {
      await gotoHash(page, '#/tasks/create-user/test');
      await page.waitForFunction(() => document.querySelector('textarea[data-editor="payload"]').value.includes('"email"'), null, {timeout: STEP_MS});
      const example = JSON.parse(await page.locator('textarea[data-editor="payload"]').inputValue());
      check(example.name === 'Ada Lovelace' && example.email === 'ada@example.com', `the example lacks the schema's examples: ${JSON.stringify(example)}`);
      check(example.age === 0 && example.plan === 'free', `the example's age (integer, minimum 0) or plan (default) is wrong: ${JSON.stringify(example)}`);
      check(example.address && example.address.city === '', `the example lacks the nested required object: ${JSON.stringify(example)}`);
    });

    await step('schema violations are shown beside their lines, with their JSON Pointer paths', async () => {
      const text = '{\n  "name": "Ada",\n  "email": "ada@example.com",\n  "age": 200,\n  "address": {"zip": "75001"}\n}';
      await page.locator('textarea[data-editor="payload"]').fill(text);
      await page.locator('#opt-ttl').fill('soon');  // not a duration: shown under its field
      await page.locator('#run-button').click();
      await waitForText(page, '#opt-ttl-error', '/options/ttl');
      await page.locator('#opt-ttl').fill('');
      await page.locator('#run-button').click();
      const age = page.locator('.editor-mark[data-path="/age"]');
      await age.waitFor({timeout: STEP_MS});
      check(await age.getAttribute('data-line') === '4', `the /age violation is not beside line 4 but ${await age.getAttribute('data-line')}`);
      await waitForText(page, '.editor-mark[data-path="/age"]', 'maximum');
      const address = page.locator('.editor-mark[data-path="/address"]');
      await address.waitFor({timeout: STEP_MS});
      check(await address.getAttribute('data-line') === '5', `the /address violation is not beside line 5 but ${await address.getAttribute('data-line')}`);
      await page.locator('.gutter-line.bad[data-line="4"]').waitFor({timeout: STEP_MS});
      await waitForText(page, '.problems .problem[data-line="4"]', '/age');
      await waitForText(page, '#run-error', 'refused');
      check(await page.locator('#result-run-link').count() === 0, 'a run was created for a refused payload');
      await shot(page, 'test-page-violation');
    });

    await step('invalid JSON is shown at its line as it is typed', async () => {
      const editor = page.locator('textarea[data-editor="payload"]');
      await editor.fill('{\n  "name": "Ada",\n  "age": ,\n}');
      await waitForText(page, '.editor-status', 'Invalid JSON — line 3');
      await page.locator('.gutter-line.bad[data-line="3"]').waitFor({timeout: STEP_MS});
      await page.locator('.editor-mark[data-line="3"]').waitFor({timeout: STEP_MS});
      await page.locator('#run-button').click();
      await waitForText(page, '#run-error', 'not valid JSON');
      await editor.fill('{"name": "Ada", "email": "ada@example.com", "age": 36, "address": {"city": "London"}}');
      await waitForText(page, '.editor-status', 'Valid JSON');
      await page.locator('#run-button').click();
      await page.locator('#result .badge[data-status="completed"]').waitFor({timeout: STEP_MS});
      await waitForText(page, '#result-output', 'created Ada');
    });
  } else {
    log('  (the server has no taskkit::schema: the schema steps are left out)');
    await step('invalid JSON is shown at its line as it is typed', async () => {
      await gotoHash(page, '#/tasks/say-hello/test');
      await page.locator('textarea[data-editor="payload"]').fill('{\n  "name": "Ada",\n  "age": ,\n}');
      await waitForText(page, '.editor-status', 'Invalid JSON — line 3');
      await page.locator('.gutter-line.bad[data-line="3"]').waitFor({timeout: STEP_MS});
    });
  }

  await step('a hostile payload is shown as text, never run', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const {id} = await apiPost('/tasks/say-hello/trigger', {payload: {name: hostile}, options: {tags: ['<b>tag</b>']}});
    await gotoHash(page, `#/runs/${id}`);
    const asJson = JSON.stringify(hostile).slice(1, -1);  // as it shows inside the pretty-printed JSON
    await waitForText(page, '[data-testid="run-payload"]', asJson);
    await waitForText(page, '[data-testid="run-output"]', `Hello, ${asJson}!`);
    await waitForText(page, '.kv .tag', '<b>tag</b>');
    check(await page.evaluate(() => window.__pwned) === undefined, 'the hostile payload ran in the page');
    check(await page.locator('main img, main b').count() === 0, 'the hostile payload became elements');
  });

  await step('Queues: pause emails, see it paused (and the API agrees), then resume it', async () => {
    await page.getByRole('link', {name: 'Queues', exact: true}).click();
    const row = page.locator('tr[data-queue="emails"]');
    await row.waitFor({timeout: STEP_MS});
    await page.getByRole('button', {name: 'Pause emails'}).click();
    await page.locator('tr[data-queue="emails"][data-paused="true"]').waitFor({timeout: STEP_MS});
    await waitForText(page, 'tr[data-queue="emails"] .badge', 'paused');
    check((await apiGet('/queues/emails')).paused === true, 'the API does not say emails is paused');
    // A run triggered now waits in the paused queue.
    const {id} = await apiPost('/tasks/send-email/trigger', {payload: {to: 'grace@example.com'}});
    await page.waitForFunction(() => document.querySelector('tr[data-queue="emails"] td:nth-child(3)')?.textContent === '1', null, {timeout: STEP_MS});
    check((await apiGet(`/runs/${id}`)).run.status === 'queued', 'a run started from the paused queue');
    await shot(page, 'queues');
    await page.getByRole('button', {name: 'Resume emails'}).click();
    await page.locator('tr[data-queue="emails"][data-paused="false"]').waitFor({timeout: STEP_MS});
    check((await apiGet('/queues/emails')).paused === false, 'the API does not say emails is resumed');
    await page.waitForFunction(() => document.querySelector('tr[data-queue="emails"] td:nth-child(3)')?.textContent === '0', null, {timeout: STEP_MS});
  });

  await step('bulk: cancel every run a filter matches, replay a selection', async () => {
    await apiPost('/queues/emails/pause', {});
    const a = (await apiPost('/tasks/send-email/trigger', {payload: {to: 'a@example.com'}})).id;
    const b = (await apiPost('/tasks/send-email/trigger', {payload: {to: 'b@example.com'}})).id;
    await gotoHash(page, '#/runs?status=queued&queue=emails');
    await page.locator(`tr[data-run-id="${a}"]`).waitFor({timeout: STEP_MS});
    await page.locator(`tr[data-run-id="${b}"]`).waitFor({timeout: STEP_MS});
    await page.getByRole('button', {name: 'Cancel all'}).click();
    await page.locator('dialog[open]').getByRole('button', {name: 'Cancel runs'}).click();
    await waitForText(page, '#toasts', 'Canceled 2 of 2 runs');
    await waitForText(page, 'main .empty', 'No runs match these filters');
    for (const id of [a, b]) check((await apiGet(`/runs/${id}`)).run.status === 'canceled', `bulk cancel left ${id} uncanceled`);
    await apiPost('/queues/emails/resume', {});

    const before = (await apiGet('/runs?task=say-hello&tag=from-browser')).runs.length;
    await gotoHash(page, '#/runs');
    await page.locator(`tr[data-run-id="${helloRun}"] input[type="checkbox"]`).check();
    await waitForText(page, '.bulk-count', '1 selected');
    await page.getByRole('button', {name: 'Replay selected'}).click();
    await page.locator('dialog[open]').getByRole('button', {name: 'Replay runs'}).click();
    await waitForText(page, '#toasts', 'Replayed 1 of 1 run');
    const again = await apiGet('/runs?task=say-hello&tag=from-browser');
    check(again.runs.length === before + 1, `the replay of the selected run is not there (${again.runs.length} runs tagged from-browser, ${before} before)`);
  });

  await step('Runs: the list has the runs made here, filtered by status', async () => {
    await page.getByRole('link', {name: 'Runs', exact: true}).click();
    await page.locator(`tr[data-run-id="${helloRun}"]`).waitFor({timeout: STEP_MS});
    await page.locator('.chips [data-status="failed"]').click();
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('tr[data-run-id]')];
      return rows.length > 0 && rows.every((r) => r.dataset.status === 'failed');
    }, null, {timeout: STEP_MS});
    check(page.url().includes('status=failed'), `the filter is not in the address: ${page.url()}`);
    await page.locator('.chips [data-status="failed"]').click();
    await page.locator(`tr[data-run-id="${helloRun}"]`).waitFor({timeout: STEP_MS});
    await page.locator('.chart-svg rect.bar').first().waitFor({timeout: STEP_MS});
    await shot(page, 'runs-list');
  });

  await step('Tasks and Schedules pages', async () => {
    await page.getByRole('link', {name: 'Tasks', exact: true}).click();
    await page.locator('tr[data-task-id="always-fails"]').waitFor({timeout: STEP_MS});
    await waitForText(page, 'tr[data-task-id="always-fails"]', '3 attempts');
    await page.getByRole('link', {name: 'Schedules', exact: true}).click();
    if (info.schedules) {
      await page.locator('tr[data-schedule]').first().waitFor({timeout: STEP_MS});
      await waitForText(page, 'main table', 'Asia/Tokyo');
    } else {
      await waitForText(page, 'main .empty', 'No schedules are defined');
    }
  });

  await step('dark mode: the toggle, and the system setting', async () => {
    await gotoHash(page, `#/runs/${helloRun}`);
    await waitForText(page, '[data-testid="run-output"]', 'Hello, Browser!');
    await page.locator('#theme-toggle').click();
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark', null, {timeout: STEP_MS});
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(isDark(bg), `the page is not dark after the toggle (background ${bg})`);
    check(await page.locator('#theme-toggle').getAttribute('aria-pressed') === 'true', 'the toggle does not say it is pressed');
    await shot(page, 'dark-mode');
    await page.locator('#theme-toggle').click();

    const dark = await browser.newContext({viewport: {width: 1280, height: 800}, colorScheme: 'dark'});
    const other = await dark.newPage();
    await other.goto(`${info.url}/?token=${encodeURIComponent(info.token)}`, {timeout: STEP_MS});
    await other.locator('tr[data-run-id]').first().waitFor({timeout: STEP_MS});
    const bg2 = await other.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(isDark(bg2), `prefers-color-scheme: dark does not make the page dark (background ${bg2})`);
    await dark.close();
  });

  await step('the keyboard: Tab reaches the navigation with a visible focus, and g s goes to Schedules', async () => {
    await gotoHash(page, '#/queues');
    await page.locator('.skip-link').focus();
    await page.keyboard.press('Tab');  // the brand
    await page.keyboard.press('Tab');  // the first section
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      return {text: el?.textContent?.trim(), tag: el?.tagName, outline: getComputedStyle(el).outlineStyle};
    });
    check(focused.tag === 'A' && focused.text === 'Runs', `Tab did not reach the navigation's first link: ${JSON.stringify(focused)}`);
    check(focused.outline !== 'none', `the focused link has no visible focus style: ${JSON.stringify(focused)}`);
    await page.keyboard.press('g');
    await page.keyboard.press('s');
    await waitForText(page, '#page-title', 'Schedules');
  });

  check(pageErrors.length === 0, `the page reported errors:\n${pageErrors.join('\n')}`);
}

function isDark(rgb) {
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(rgb);
  return m && (Number(m[1]) + Number(m[2]) + Number(m[3])) / 3 < 60;
}

let failure = null;
let failedStep = null;
try {
  await run();
} catch (e) {
  failure = e;
  failedStep = currentStep;
}
currentStep = 'cleaning up';
await cleanup();
clearTimeout(deadline);
if (!failure && serverExit && (serverExit.code !== 0 || serverExit.signal)) {
  failure = new Error(`the server exited with code ${serverExit.code}, signal ${serverExit.signal}`);
}
if (failure) {
  console.error(`FAIL (${failedStep ?? 'after the steps'}): ${failure.message}`);
  if (serverStderr.trim()) console.error(`--- the server's stderr ---\n${serverStderr.slice(-20_000)}`);
  process.exit(1);
}
log(`PASS: the dashboard, in headless chromium (${shots} screenshots in ${shotDir})`);
process.exit(0);
