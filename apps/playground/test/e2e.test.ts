// End to end: build the app, serve it with `vite preview` on a free port, and drive Debian's Chromium
// headless (playwright-core, --enable-unsafe-webgpu) through every page on every backend the browser
// offers: the page loads without console errors, a short run finishes, and the plots hold real content.
// Screenshots go to test-results/screenshots/. Without /usr/bin/chromium every test reports itself
// skipped, with the reason.
import { existsSync, mkdirSync, rmSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM) && process.env.PLASTICITY_BROWSER_TESTS !== '0';
const SKIP_REASON = existsSync(CHROMIUM) ? 'PLASTICITY_BROWSER_TESTS=0' : `${CHROMIUM} not found (apt-get install chromium)`;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = path.join(ROOT, 'test-results', 'screenshots');
const BACKENDS = ['webgpu', 'wasm', 'cpu'] as const;
type Backend = (typeof BACKENDS)[number];

let server: PreviewServer | undefined;
let context: BrowserContext | undefined;
let userDataDir: string | undefined;
let baseUrl = '';
let offered: { name: Backend; available: boolean; reason?: string }[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A fresh tab on a page and backend, recording console errors and uncaught exceptions. */
async function open(pageId: string, backend: Backend): Promise<{ page: Page; errors: string[] }> {
  const page = await context!.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console.error: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(`${baseUrl}/#/${pageId}`);
  await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
  if ((await page.inputValue('#backend')) !== backend) {
    await page.selectOption('#backend', backend);
  }
  await page.waitForSelector(`article[data-page="${pageId}"][data-backend="${backend}"]`);
  return { page, errors };
}

/** Presses Start (or Resume) and waits for the run to finish. */
async function runToEnd(page: Page): Promise<void> {
  await page.click('[data-action="start"]');
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('article')?.dataset.runState ?? ''), null, { timeout: 90_000 });
  const status = await page.textContent('.run-panel .status');
  expect(await page.getAttribute('article', 'data-run-state'), `run ended in error: ${status}`).toBe('done');
}

const points = async (page: Page, selector: string) => Number(await page.getAttribute(selector, 'data-points'));
const readout = async (page: Page, key: string) => (await page.textContent(`dd[data-key="${key}"]`)) ?? '';

async function finish(page: Page, errors: string[], name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  await page.close();
  expect(errors, 'console errors').toEqual([]);
}

/** Run lengths of the pages whose models are many small tfjs ops (slow on SwiftShader's WebGPU). */
const SPN_STEPS: Record<Backend, number> = { webgpu: 50, wasm: 300, cpu: 300 };
const BIO_STEPS: Record<Backend, number> = { webgpu: 10, wasm: 60, cpu: 60 };

/** The checks of each page after a short run (beyond loading cleanly). */
const PAGES: Record<string, { prepare?: (page: Page, backend: Backend) => Promise<void>; check: (page: Page, backend: Backend) => Promise<void> }> = {
  'stdp-window': {
    prepare: (page) => page.fill('input[name="spacingMs"]', '4'),
    async check(page) {
      // 15 spacings of 4 ms on each side of 0
      expect(await points(page, '.panel .plot')).toBe(30);
      expect(await readout(page, 'pairs measured')).toBe('30 / 30');
      // the weight is stored in float32 around 0.5 (spacing 6e-8)
      expect(Number(await readout(page, 'max |Δw − analytic|'))).toBeLessThan(2e-7);
      expect(await readout(page, 'engine')).toBe('core/stdp: fused');
    },
  },
  'song-miller-abbott': {
    prepare: (page) => page.fill('input[name="seconds"]', '3'),
    async check(page) {
      const plots = page.locator('.panel .plot');
      expect(await plots.nth(0).locator('svg rect').count(), 'histogram bars').toBeGreaterThanOrEqual(10);
      expect(Number(await plots.nth(0).getAttribute('data-points')), 'nonzero bins').toBeGreaterThanOrEqual(10);
      expect(Number(await plots.nth(1).getAttribute('data-points')), 'rate bins').toBe(3);
      // 100 inputs at 15 Hz for 0.5 s: ~750 spikes
      expect(Number(await plots.nth(2).getAttribute('data-points')), 'raster spikes').toBeGreaterThan(400);
      expect(Number(await plots.nth(3).getAttribute('data-points')), 'membrane samples').toBe(5000);
      expect(parseFloat(await readout(page, 'output rate, last 5 s'))).toBeGreaterThan(5);
      expect(await readout(page, 'engine')).toBe('core/stdp: fused');
    },
  },
  'sparse-network': {
    prepare: (page) => page.fill('input[name="seconds"]', '0.25'),
    async check(page) {
      const raster = page.locator('.panel .plot').nth(0);
      // 2000 neurons at ~20 Hz over 250 ms: ~10 000 spikes
      expect(Number(await raster.getAttribute('data-points')), 'raster spikes').toBeGreaterThan(2000);
      expect(Number(await raster.getAttribute('data-throughput')), 'synaptic events/s').toBeGreaterThan(1e5);
      expect(await readout(page, 'throughput')).toMatch(/[kMG]\/s$/);
      expect(Number(await page.locator('.panel .plot').nth(2).getAttribute('data-points')), 'weight histogram bins').toBeGreaterThan(10);
      expect(await readout(page, 'engine')).toBe('input->lif: fused; lif->lif: fused');
    },
  },
  'spn-forecast': {
    // a tfjs op per layer and step: SwiftShader's WebGPU takes ~0.25 s a step, so the shortest series there
    async prepare(page, backend) {
      await page.fill('input[name="length"]', String(SPN_STEPS[backend]));
      await page.fill('input[name="changePoint"]', String(SPN_STEPS[backend] / 2));
      // on cpu: the package's other series, with plasticity switched off
      if (backend === 'cpu') {
        await page.selectOption('select[name="series"]', 'load curve');
        await page.uncheck('input[name="plasticity"]');
      }
    },
    async check(page, backend) {
      const plots = page.locator('.panel .plot');
      const n = SPN_STEPS[backend];
      // truth and prediction for every target, each prediction made before learning from it
      expect(Number(await plots.nth(0).getAttribute('data-points')), 'forecast points').toBe(n);
      expect(Number(await plots.nth(0).getAttribute('data-predicted')), 'predictions').toBe(n);
      expect(Number(await plots.nth(1).getAttribute('data-points')), 'error trace').toBe(n);
      expect(Number(await plots.nth(2).getAttribute('data-points')), 'MSE curve, one point per chunk of 25 steps').toBe(Math.ceil(n / 25));
      for (const key of ['mse-before', 'mse-after']) {
        const mse = Number(await page.getAttribute('article', `data-${key}`));
        expect(mse, key).toBeGreaterThan(0);
        expect(mse, key).toBeLessThan(2);
      }
      expect(await readout(page, 'plasticity')).toBe(backend === 'cpu' ? 'off' : 'on');
    },
  },
  'pdlf': {
    async prepare(page, backend) {
      // cpu and webgpu evaluate on the page's thread, wasm in two web workers
      await page.selectOption('select[name="evaluateIn"]', backend === 'wasm' ? 'web workers' : 'this thread');
      await page.fill('input[name="workers"]', '2');
      await page.fill('input[name="hidden"]', '8');
      await page.fill('input[name="popSize"]', '8');
      await page.fill('input[name="copyGenerations"]', '5');
      await page.fill('input[name="reachGenerations"]', '2');
      await page.fill('input[name="reachSteps"]', '40');
      await page.fill('input[name="injuryFrom"]', '20');
      await page.fill('input[name="injuryTo"]', '25');
    },
    async check(page, backend) {
      const plots = page.locator('.panel .plot');
      expect(Number(await plots.nth(0).getAttribute('data-points')), 'copy generations').toBe(5);
      const best = (await page.getAttribute('article', 'data-best-fitness'))!.split(',').map(Number);
      expect(best).toHaveLength(5);
      // fitness = accuracy + 0.05·margin, in (−0.05, 1.05)
      for (const f of best) {
        expect(f).toBeGreaterThan(-0.05);
        expect(f).toBeLessThan(1.05);
      }
      const heldOut = Number(await page.getAttribute('article', 'data-held-out'));
      expect(heldOut).toBeGreaterThanOrEqual(0);
      expect(heldOut).toBeLessThanOrEqual(1);
      expect(await readout(page, 'copy: membranes reset after the delay')).toMatch(/^[01]\.\d{3}$/);
      expect((await page.getAttribute('article', 'data-reach-best'))!.split(',').map(Number).every(Number.isFinite)).toBe(true);
      expect(Number(await plots.nth(1).getAttribute('data-points')), 'reach generations').toBe(2);
      expect(Number(await plots.nth(2).getAttribute('data-points')), 'injury steps').toBe(40);
      const intact = Number(await page.getAttribute('article', 'data-return-intact'));
      const injured = Number(await page.getAttribute('article', 'data-return-injured'));
      expect(Number.isFinite(intact) && Number.isFinite(injured)).toBe(true);
      expect(injured, 'the injury changes the episode').not.toBe(intact);
      expect(await readout(page, 'evaluated in')).toContain(backend === 'wasm' ? '2 web workers (wasm)' : `this thread (${backend})`);
    },
  },
  'bio-transforms': {
    prepare: (page, backend) => page.fill('input[name="steps"]', String(BIO_STEPS[backend])),
    async check(page, backend) {
      const plots = page.locator('.panel .plot');
      expect(Number(await plots.nth(0).getAttribute('data-points')), 'loss points').toBe(BIO_STEPS[backend]);
      expect(Number(await plots.nth(1).getAttribute('data-points')), 'accuracy points, one per 10 steps').toBe(BIO_STEPS[backend] / 10);
      expect(Number(await plots.nth(2).getAttribute('data-points')), 'nonzero histogram bins').toBeGreaterThan(5);
      expect(Number(await plots.nth(3).getAttribute('data-points')), 'W2 cells, both models').toBe(2 * 32 * 32);
      expect(Number(await plots.nth(4).getAttribute('data-points')), 'test points').toBe(300);
      // Dale holds after every step: not one weight against its neuron's sign; plain Adam breaks many
      expect(await page.getAttribute('article', 'data-dale-violations')).toBe('0');
      expect(await readout(page, 'Dale sign violations, BioTrainer')).toBe('0');
      expect(Number(await page.getAttribute('article', 'data-plain-violations'))).toBeGreaterThan(50);
      for (const key of ['acc-plain', 'acc-bio']) {
        const acc = Number(await page.getAttribute('article', `data-${key}`));
        expect(acc, key).toBeGreaterThan(0.2);
        expect(acc, key).toBeLessThanOrEqual(1);
      }
    },
  },
  'custom-rule': {
    prepare: (page) => page.fill('input[name="seconds"]', '2'),
    async check(page) {
      expect(await page.textContent('[data-role="error"]')).toBe('');
      expect(await page.textContent('tr[data-side="acme/my-stdp"] [data-engine]')).toBe('fused');
      expect(await page.textContent('tr[data-side="core/stdp (built-in)"] [data-engine]')).toBe('fused');
      const changed = Number((await readout(page, 'changed')).split(' ')[0]);
      expect(changed, 'synapses changed by the user rule').toBeGreaterThan(500);
      // the same additive rule as core/stdp: the same weights up to float32 rounding
      expect(Number(await readout(page, 'diff'))).toBeLessThan(1e-3);
      expect(await points(page, '.panel .plot')).toBeGreaterThanOrEqual(10);
    },
  },
  'save-load': {
    prepare: (page) => page.fill('input[name="seconds"]', '2'),
    async check(page) {
      expect(Number(await page.getAttribute('article', 'data-time-ms'))).toBe(2000);
      expect(await points(page, '.panel .plot')).toBeGreaterThanOrEqual(10);
      // download spec + checkpoint, start over, upload it and continue to 4 s
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="save"]')]);
      const file = path.join(SHOTS, `..`, `experiment-${Date.now()}.json`);
      await download.saveAs(file);
      await page.click('[data-action="reset"]');
      await page.setInputFiles('input[data-action="load"]', file);
      await page.waitForSelector('article[data-resumed-at-ms="2000"]');
      rmSync(file);
      await runToEnd(page);
      const resumed = await page.getAttribute('article', 'data-mean-w');
      expect(Number(await page.getAttribute('article', 'data-time-ms'))).toBe(4000);
      // an uninterrupted 4 s run ends with the very same weights
      await page.fill('input[name="seconds"]', '4');
      await page.dispatchEvent('input[name="seconds"]', 'change');
      await runToEnd(page);
      expect(await page.getAttribute('article', 'data-mean-w')).toBe(resumed);
    },
  },
};

describe.skipIf(!HAVE_CHROMIUM)(`playground in headless Chromium${HAVE_CHROMIUM ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  beforeAll(async () => {
    await build({ root: ROOT, logLevel: 'warn' });
    const port = await freePort();
    server = await preview({ root: ROOT, logLevel: 'warn', preview: { port, strictPort: true, host: '127.0.0.1' } });
    baseUrl = `http://127.0.0.1:${port}`;
    mkdirSync(SHOTS, { recursive: true });
    userDataDir = mkdtempSync(path.join(tmpdir(), 'playground-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--disable-quic', '--no-first-run'],
    });
    const { page, errors } = await open('stdp-window', 'cpu');
    offered = await page.evaluate(() => (window as unknown as { __backends: typeof offered }).__backends);
    await finish(page, errors, 'shell');
  });

  afterAll(async () => {
    await context?.close();
    await new Promise<void>((resolve) => (server ? server.httpServer.close(() => resolve()) : resolve()));
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  test('the backend picker offers wasm and cpu, and gives the reason for any backend it cannot start', async () => {
    expect(offered.map((b) => b.name)).toEqual([...BACKENDS]);
    for (const name of ['wasm', 'cpu'] as const) expect(offered.find((b) => b.name === name)?.available, name).toBe(true);
    const { page, errors } = await open('stdp-window', 'cpu');
    for (const b of offered.filter((x) => !x.available)) {
      expect(b.reason, b.name).toBeTruthy();
      expect(await page.textContent(`.backend-reasons li[data-backend="${b.name}"]`)).toContain(b.reason);
    }
    // every capability has a page: no entries without one
    expect(await page.locator('nav a').count()).toBe(8);
    expect(await page.locator('nav .coming').count()).toBe(0);
    await finish(page, errors, 'picker');
  });

  for (const [pageId, spec] of Object.entries(PAGES)) {
    for (const backend of BACKENDS) {
      test(`${pageId} on ${backend}: loads cleanly, runs, plots`, async (ctx) => {
        const status = offered.find((b) => b.name === backend);
        if (!status?.available) {
          // WebGPU may be missing (no adapter): recorded as skipped, with the picker's reason
          expect(backend, 'wasm and cpu must always start').toBe('webgpu');
          ctx.skip(`${backend} unavailable in this browser: ${status?.reason}`);
          return;
        }
        const { page, errors } = await open(pageId, backend);
        await spec.prepare?.(page, backend);
        await runToEnd(page);
        await spec.check(page, backend);
        await finish(page, errors, `${pageId}-${backend}`);
      });
    }
  }

  test('custom-rule without a fused kernel: runs the tensor path and the engine report says why', async () => {
    const { page, errors } = await open('custom-rule', 'cpu');
    const source = await page.inputValue('textarea.code');
    await page.fill('textarea.code', source.replace(/^\s*fused: kernel,\s*$/m, ''));
    await page.fill('input[name="seconds"]', '0.5');
    await page.fill('input[name="nInputs"]', '100');
    await runToEnd(page);
    expect(await page.textContent('tr[data-side="acme/my-stdp"] [data-engine]')).toBe('tensor');
    expect(await page.textContent('tr[data-side="acme/my-stdp"]')).toContain("no fused kernel is registered for 'acme/my-stdp'");
    expect(await page.textContent('tr[data-side="core/stdp (built-in)"] [data-engine]')).toBe('fused');
    // the editor keeps its text in localStorage: leave the example for later tests
    await page.click('[data-action="restore"]');
    await finish(page, errors, 'custom-rule-tensor-path-cpu');
  });

  test('custom-rule: an import of another package is refused before the code runs', async () => {
    const { page, errors } = await open('custom-rule', 'cpu');
    await page.fill('textarea.code', "import fs from 'node:fs';\nexport default {};\n");
    await page.click('[data-action="start"]');
    await page.waitForSelector('article[data-run-state="error"]');
    expect(await page.textContent('[data-role="error"]')).toContain("import of 'node:fs' is not available here");
    await page.click('[data-action="restore"]');
    await finish(page, errors, 'custom-rule-bad-import');
  });
});
